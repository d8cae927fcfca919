/*
 * statement_scope.hpp — where a guarded statement begins and ends: the one module every hook asks
 * "which statement is this part of?" (SPEC §3). See statement_scope.cpp.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* The state of the current top-level statement; written only by statement_scope.cpp. */
namespace scope_state {
extern bool active;				/* a top-level statement is running */
extern const void *key;			/* its QueryDesc or utility PlannedStmt */
extern uint64 generation;		/* bumped for every statement that begins */
extern int	depth;				/* scopes entered and not yet left */
}

inline bool
statement_active(void)
{
	return scope_state::active;
}

/* Whether a scope (of any statement) is open right now. */
inline bool
statement_in_scope(void)
{
	return scope_state::depth > 0;
}

/* The running top-level statement is the one named by key. */
inline bool
statement_is(const void *key)
{
	return scope_state::active && scope_state::key == key;
}

inline uint64
statement_generation(void)
{
	return scope_state::generation;
}

/*
 * Enters the top-level statement named by key (a QueryDesc for the executor hooks, the PlannedStmt of
 * a utility statement): at depth 0 a different key starts a new statement, the same key continues it
 * (ExecutorFinish runs the foreign-key actions of the rows ExecutorRun changed). leave(..., true) ends
 * the statement when it was the outermost scope; abort() leaves a scope an ERROR is unwinding.
 */
void		statement_scope_enter(const void *key, const char *query, int location, int length);
void		statement_scope_leave(const void *key, bool finished);
void		statement_scope_abort(void);

/*
 * Code owned by an agent runs in a session that is not guarded (a trigger, default, view or event
 * trigger function of an agent in a human's session): it counts toward the transaction's statement,
 * which ends with the transaction, so per-row calls add up. An ERROR leaving the code leaves the scope
 * the same way: the transaction's statement lives on if the caller catches the error.
 */
void		statement_scope_enter_agent_code(void);
void		statement_scope_leave_agent_code(void);

/* ExecutorEnd of the statement's own QueryDesc, outside every scope: the statement is over. */
void		statement_scope_end_if(const void *key);

/* The statement's text (one statement of its query string), copied on first use; valid until it ends. */
const char *statement_text_now(void);

/* The transaction is about to commit with no scope open (its deferred triggers have fired): the
 * transaction's statement ends, warn mode reports it. */
void		statement_scope_xact_precommit(void);

/* The transaction ended (commit or abort) with no scope open: every statement state is dropped. */
void		statement_scope_xact_end(void);

void		statement_scope_init(void);

}  // namespace agentguard
