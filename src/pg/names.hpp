/*
 * names.hpp — how pg_agentguard names relations in messages and records, and which relations belong to
 * the session alone (its temporary ones).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* "schema.relation", each part quoted as needed, palloc'd. A temporary relation's schema reads pg_temp
 * (pg_temp_N changes from session to session). The OID as text when the relation is gone. */
char	   *relation_display_name(Oid relid);

/* A temporary relation of this session (or the TOAST table of one). */
bool		relation_is_own_temp(Oid relid);

}  // namespace agentguard
