/*
 * tokens.hpp — what the hooks need from the token store (SPEC §5).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/*
 * Is the token in agentguard.token (if any) valid for this statement right now: same normalised text,
 * every object the statement reaches now (object_oids, Oid list) among the token's objects (a token
 * bound to no objects skips that test), same login role, same database, not expired, not revoked, a use
 * left? Returns the token id, or 0 when no token is set or it does not match (never an error for a
 * mismatch: the statement is then judged as if no token were set, and token_refusal_note() says why).
 * On a match, one use is consumed when the transaction commits.
 */
int64		token_match(const char *raw_statement, List *object_oids);

/* token_match that also returns the token's objects on a match: a sorted palloc'd array, or NULL for a
 * token bound to the text only. */
int64		token_match_covering(const char *raw_statement, List *object_oids, Oid **covered, int *ncovered);

/* "The token in agentguard.token was not used: <why>." when a token presented in the current statement
 * did not apply (expired, revoked, used up, another role, statement or objects, malformed), else NULL.
 * Names nothing about any other token. */
const char *token_refusal_note(void);

/* Records why a token did not apply, for token_refusal_note(). */
void		token_note_refusal(const char *why);

/*
 * When a human denied an earlier request of this login role for the same statement (normalised text) in
 * this database: "A human (name) denied this statement at <time>: <reason>. Do not retry it." Else NULL.
 */
char	   *denial_note(const char *normalized_statement);

}  // namespace agentguard
