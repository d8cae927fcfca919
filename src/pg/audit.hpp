/*
 * audit.hpp — what the event sink needs from the approvals-and-audit module.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "pg/event_sink.hpp"

namespace agentguard {

/*
 * Reserves the id of a new request for a blocked statement in this database. Sets *extension_present
 * (CREATE EXTENSION ran here) and *read_only (no id could be reserved because the transaction cannot
 * write). Returns 0 when no id was reserved. Must not fail for any other reason than a bug.
 */
int64		audit_reserve_request_id(bool *extension_present, bool *read_only);

/* Hands the event to the audit queue (or, when that cannot take it, to the server log). */
void		audit_enqueue(const EventData *ev);

}  // namespace agentguard
