/*
 * tokens.hpp — what the hooks need from the token store (SPEC §5).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/*
 * Is the token in agentguard.token (if any) valid for this statement right now: same normalised text,
 * same objects (object_oids, Oid list; a token bound to no objects skips that test), same login role,
 * same database, not expired, not revoked, a use left? Returns the token id, or 0 when no token is set or
 * it does not match (never an error for a mismatch: the statement is then judged as if no token were set).
 * On a match, one use is consumed when the transaction commits.
 */
int64		token_match(const char *raw_statement, List *object_oids);

}  // namespace agentguard
