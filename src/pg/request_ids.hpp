/*
 * request_ids.hpp — the cluster-wide allocator of request ids (request_ids.cpp).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Installs the shared-memory hooks; call once from _PG_init. */
void		request_ids_init(void);

/* A new request id, unique in the cluster and never handed out before; 0 when none could be made
 * durable (logged). */
int64		request_ids_next(void);

/* Ids at or below floor are never handed out from now on. */
void		request_ids_raise_floor(int64 floor);

/* The highest id handed out since the server started, or recorded as reserved before (0: none). */
int64		request_ids_issued_max(void);

/* Remembers which database a recent request id belongs to, and looks it up (InvalidOid: unknown). */
void		request_ids_remember(int64 id, Oid dboid);
Oid			request_ids_database(int64 id);

}  // namespace agentguard
