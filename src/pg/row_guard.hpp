/*
 * row_guard.hpp — counting the rows an agent's statement changes, per target table, and stopping it
 * at the table's limit (SPEC §3 "Data-destroying DML"). See row_guard.cpp for how rows are counted.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* The statement scope tells the row guard where statements begin and end (statement_scope.cpp).
 * end(emit): emit is true when the statement ran to its end; reset() empties the state either way. */
void		row_guard_statement_begin(void);
void		row_guard_statement_end(bool emit);
void		row_guard_statement_reset(void);

/* Wraps the inputs of every destructive ModifyTable of a started query, so its fetches are counted;
 * detach drops the wraps of one executor state (at ExecutorEnd, or when an ERROR unwinds). */
void		row_guard_attach(QueryDesc *queryDesc);
void		row_guard_detach(EState *estate);
bool		row_guard_has_wraps(void);
bool		row_guard_counted_anything(void);	/* the running statement has a target table */

/* Transaction boundaries seen with a statement still running (a procedure's COMMIT or ROLLBACK inside
 * CALL): committed rows are carried forward; rolled-back ones are gone. forget_wraps(): the executor
 * states are gone with an aborted transaction. */
void		row_guard_xact_precommit(void);
void		row_guard_xact_rollback_in_statement(void);
void		row_guard_forget_wraps(void);

/*
 * A statement crossed a limit (or is unqualified): block it, let it run under a token, or warn. A token
 * covers the tables its request named: the rows of other tables are still counted, and blocking on one
 * of them makes a request that names the approved tables and it.
 * Returns true when the statement may go on; for a block it does not return. rows is -1 when the
 * reason is not a count; warn_now reports a warning at once instead of with the final count.
 */
bool		row_guard_intercept(Oid relid, CmdType op, const char *reason, int64 rows, bool warn_now);

/*
 * The single place where a finished statement's final count per target table is known: called once
 * per target table when a statement ends normally (not after an ERROR), with the rows it changed there
 * (exact where PostgreSQL keeps counts; else the input rows fetched, which stop being counted once a
 * token approved the statement), and the table's size when the statement learned it. The agent's
 * budgets across statements (breaker.hpp) are kept here.
 */
void		statement_rows_final(Oid relid, CmdType op, int64 rows, double size);	/* size: -1 unknown */

}  // namespace agentguard
