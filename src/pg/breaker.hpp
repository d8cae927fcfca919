/*
 * breaker.hpp — budgets across statements and the circuit breaker of each agent role (SPEC §8).
 *
 * Per agent role, cluster-wide, in shared memory: a rolling window (agentguard.budget_window) of the rows
 * its DELETE/UPDATE/MERGE/upserts changed, in total and per table, and of the refusals it received; and
 * its breaker (closed or open, since when, why). See breaker.cpp for the layout and the lock protocol.
 *
 * Who is "the agent" of a guarded session: the first agent among its login role, session role, outer
 * role (SET ROLE) and current role — the same order in which identity.cpp finds that it is guarded.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* SQLSTATE of a statement refused because the agent's circuit breaker is open. */
#define ERRCODE_AGENTGUARD_BREAKER_OPEN MAKE_SQLSTATE('Z', 'G', '0', '0', '2')

/* Tables smaller than this are never judged by agentguard.budget_fraction ("more than a handful"). */
#define AG_BUDGET_FRACTION_MIN_TABLE_ROWS 50

void		breaker_init(void);		/* from _PG_init: shared memory and its file */

/* True when the shared state exists (not in a standalone backend). */
bool		breaker_ready(void);

/* The agent role whose budgets and breaker a guarded session uses; InvalidOid when none. */
Oid			breaker_actor(void);

/* A guarded session is about to write or run DDL (command names it): raises ZG002 when the agent's
 * breaker is open. The common case (closed) reads one shared word without a lock. */
void		breaker_refuse_if_open(const char *command);

/* Whether a utility statement writes or changes the schema (what an open breaker refuses). */
bool		breaker_utility_writes(Node *parsetree);

/* The guard refused one of the agent's statements (ZG001). Counts it; trips the breaker when the
 * refusals within the window reach agentguard.breaker_blocks. Returns true when this refusal tripped it. */
bool		breaker_note_refusal(void);

/* What the window holds for the agent and one table, for the budget check of a statement. */
struct BudgetView
{
	int64		total_left;		/* rows the agent may still change in all tables; INT64_MAX: no limit */
	int64		table_changed;	/* rows of this table changed within the window */
	double		table_size;		/* largest size of the table seen within the window, 0 when unknown */
	bool		fraction_on;	/* agentguard.budget_fraction applies at all */
	double		fraction;
};
void		breaker_budget_view(Oid relid, BudgetView *out);

/* Rows of one table a statement may still change within the fraction budget: size is the table's size
 * when known, < 0 before (a lower bound is returned then, so a statement under it needs no sizing).
 * PG_INT64_MAX when the rule does not apply. */
int64		breaker_table_threshold(const BudgetView *v, double size);
int64		budget_fraction_rows(double fraction, double size);	/* floor(fraction * size), snapped */

/* The reason of a statement stopped by a budget: total (budget_rows) or the table's fraction. */
char	   *breaker_budget_reason(const BudgetView *v, double size, bool total);

/* A table's size for the fraction budget (a partitioned table: its members). */
double		breaker_table_size(Oid relid);

/* The rows a finished statement changed in one table (a partitioned table is one), size the table's
 * size when the statement learned it (0 when it did not). */
void		breaker_account(Oid relid, int64 rows, double size);

/* Trips the agent's breaker (a budget was crossed). Returns true when it was closed until now. */
bool		breaker_trip_actor(const char *reason);

/* For the SQL functions (breaker_sql.cpp). */
struct BreakerRow
{
	Oid			role;
	bool		open;
	TimestampTz tripped_at;
	char		reason[512];
	int64		rows;
	int64		refusals;
	int64		window_secs;
};
int			breaker_snapshot(BreakerRow **rows);	/* palloc'd array */
bool		breaker_trip(Oid role, const char *reason);
bool		breaker_reset(Oid role);
int64		breaker_clock_advance(int64 usecs);		/* returns the total offset */
TimestampTz breaker_now(void);

}  // namespace agentguard
