/*
 * executor_hooks.cpp — the hooks of the blast-radius guard for agents' DELETE, UPDATE, MERGE and
 * INSERT ... ON CONFLICT DO UPDATE (SPEC §3 "Data-destroying DML"): ExecutorStart, Run, Finish, End,
 * ProcessUtility and the transaction callback. They only decide whether a statement is guarded and
 * tell the modules that do the work:
 *   statement_scope.cpp   where a statement begins and ends (nesting through every hook)
 *   plan_targets.cpp      which plan nodes are targets; the unqualified DELETE/UPDATE check
 *   row_guard.cpp         counting the rows changed per target table, and the stop at the limit
 *   agent_code.cpp        agents' functions judged as the agent's wherever they run (provenance)
 * A statement's scope opens before it is planned (planner_hook), so what constant folding runs counts
 * toward it; rules and views of agents make a human's destructive query an agent's (checkAsUser).
 *
 * Contract
 * - Only guarded sessions are judged; a human's statement pays one cached test per hook. Parallel
 *   workers never judge (they never modify rows), nor does pg_agentguard's own SQL (internal_depth).
 * - Error boundaries: this file is C-style glue. The hooks keep their nesting depth with PG_TRY so an
 *   ERROR never leaves a stale frame; transaction callbacks drop every per-statement state at abort as
 *   a second line of defence.
 */
#include "pg/pg_headers.hpp"

#include "pg/agent_code.hpp"
#include "pg/breaker.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/plan_targets.hpp"
#include "pg/row_guard.hpp"
#include "pg/statement_scope.hpp"

namespace agentguard {

static ExecutorStart_hook_type prev_ExecutorStart = nullptr;
static ExecutorRun_hook_type prev_ExecutorRun = nullptr;
static ExecutorFinish_hook_type prev_ExecutorFinish = nullptr;
static ExecutorEnd_hook_type prev_ExecutorEnd = nullptr;
static ProcessUtility_hook_type prev_ProcessUtility = nullptr;
static planner_hook_type prev_planner = nullptr;

/* The one test a human's statement pays (after the cheap mode and worker tests). */
static inline bool
guard_active(void)
{
	return guc_mode != AG_MODE_OFF && internal_depth == 0 && !IsParallelWorker() && session_is_guarded();
}

/*
 * Inside a statement this backend already judged guarded (any enclosing scope, or the same QueryDesc
 * continuing), the membership answer is not asked again: the guard does not lift in mid-statement.
 * A human's QueryDesc seen unguarded in ExecutorStart is remembered so its Run/Finish pay one compare.
 */
static const QueryDesc *unguarded_qd = nullptr;

/* A human's destructive query reached through an agent's rule or view: judged as that agent's, from
 * its ExecutorStart to its ExecutorEnd (an ERROR in between: identity.cpp drops the frame). */
static const QueryDesc *agent_rule_qd = nullptr;

static inline bool
guard_active_in_scope(const QueryDesc *qd)
{
	if (statement_in_scope() || statement_is(qd))
		return guc_mode != AG_MODE_OFF && internal_depth == 0;
	return guard_active();
}

static inline bool
guard_active_for(const QueryDesc *qd)
{
	if (qd == unguarded_qd)
		return false;
	return guard_active_in_scope(qd);
}

/* An unguarded session's destructive query whose target an agent's rule or view reached. */
static bool __attribute__((noinline))
enter_agent_rule(QueryDesc *queryDesc)
{
	Oid			target = InvalidOid;
	Oid			owner = plan_agent_owner(queryDesc->plannedstmt, &target);

	if (!OidIsValid(owner) || internal_depth > 0 || IsParallelWorker())
		return false;
	agent_code_enter(owner, AGENT_CODE_RULE_OR_VIEW, target);
	agent_rule_qd = queryDesc;
	return true;
}

static void
call_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart != nullptr)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void __attribute__((noinline))
judged_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *ps = queryDesc->plannedstmt;

	statement_scope_enter(queryDesc, queryDesc->sourceText, ps->stmt_location, ps->stmt_len);
	PG_TRY();
	{
		/* PostgreSQL's own permission error comes before the guard's refusal (and no request is made
		 * for a statement the agent could not run anyway). */
		if (guc_block_unqualified && ag_plan_permitted(ps))
			judge_unqualified(ps);
		call_ExecutorStart(queryDesc, eflags);
		row_guard_attach(queryDesc);
	}
	PG_CATCH();
	{
		if (queryDesc->estate != nullptr)
			row_guard_detach(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* plain EXPLAIN runs nothing and is never blocked; EXPLAIN ANALYZE runs and is judged */
	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0)
	{
		unguarded_qd = nullptr;
		call_ExecutorStart(queryDesc, eflags);
		return;
	}
	if (!guard_active_in_scope(queryDesc))
	{
		/* a human's destructive query through an agent's rule or view is the agent's */
		if (unlikely(plan_may_be_agents(queryDesc->plannedstmt)) && guc_mode != AG_MODE_OFF &&
			enter_agent_rule(queryDesc))
		{
			unguarded_qd = nullptr;
			judged_ExecutorStart(queryDesc, eflags);
			return;
		}
		/* (the address of a QueryDesc that died in an ERROR may come back: always set or clear) */
		unguarded_qd = queryDesc;
		call_ExecutorStart(queryDesc, eflags);
		return;
	}
	unguarded_qd = nullptr;
	/* An open circuit breaker refuses every write (ZG002) before anything else is judged. */
	if (queryDesc->plannedstmt->commandType != CMD_SELECT || queryDesc->plannedstmt->hasModifyingCTE)
		breaker_refuse_if_open(GetCommandTagName(CreateCommandTag(reinterpret_cast<Node *>(queryDesc->plannedstmt))));
	if (plan_is_destructive(queryDesc->plannedstmt))
		judged_ExecutorStart(queryDesc, eflags);
	else
		call_ExecutorStart(queryDesc, eflags);
}

/* The guarded paths live in their own functions so the unguarded path pays no PG_TRY set-up. */
static void __attribute__((noinline))
judged_ExecutorRun(AG_EXECUTORRUN_ARGS)
{
	statement_scope_enter(queryDesc, queryDesc->sourceText, queryDesc->plannedstmt->stmt_location,
						  queryDesc->plannedstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ExecutorRun != nullptr)
			AG_EXECUTORRUN_CALL(prev_ExecutorRun);
		else
			AG_EXECUTORRUN_CALL(standard_ExecutorRun);
	}
	PG_CATCH();
	{
		row_guard_detach(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorRun(AG_EXECUTORRUN_ARGS)
{
	if (guard_active_for(queryDesc))
		AG_EXECUTORRUN_CALL(judged_ExecutorRun);
	else if (prev_ExecutorRun != nullptr)
		AG_EXECUTORRUN_CALL(prev_ExecutorRun);
	else
		AG_EXECUTORRUN_CALL(standard_ExecutorRun);
}

static void __attribute__((noinline))
judged_ExecutorFinish(QueryDesc *queryDesc)
{
	statement_scope_enter(queryDesc, queryDesc->sourceText, queryDesc->plannedstmt->stmt_location,
						  queryDesc->plannedstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ExecutorFinish != nullptr)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		row_guard_detach(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorFinish(QueryDesc *queryDesc)
{
	if (guard_active_for(queryDesc))
		judged_ExecutorFinish(queryDesc);
	else if (prev_ExecutorFinish != nullptr)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
}

static void
ag_ExecutorEnd(QueryDesc *queryDesc)
{
	/* No guard test here: what this backend attached must be detached whoever runs now. */
	if (queryDesc == unguarded_qd)
		unguarded_qd = nullptr;
	if (row_guard_has_wraps())
		row_guard_detach(queryDesc->estate);
	if (prev_ExecutorEnd != nullptr)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (statement_active())
		statement_scope_end_if(queryDesc);
	if (unlikely(queryDesc == agent_rule_qd))
	{
		agent_rule_qd = nullptr;
		agent_code_leave();
	}
}

/*
 * Planning is part of the statement: constant folding evaluates immutable functions with constant
 * arguments, and what they change counts toward the statement being planned (statement_scope.cpp).
 */
static PlannedStmt *
call_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	if (prev_planner != nullptr)
		return prev_planner(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

static PlannedStmt * __attribute__((noinline))
judged_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	PlannedStmt *result;

	statement_scope_enter(parse, query_string, parse->stmt_location, parse->stmt_len);
	PG_TRY();
	{
		result = call_planner(parse, query_string, cursorOptions, boundParams);
	}
	PG_CATCH();
	{
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(parse, false);
	statement_scope_planned();
	return result;
}

static PlannedStmt *
ag_planner(Query *parse, const char *query_string, int cursorOptions, ParamListInfo boundParams)
{
	/* inside a statement already: its scope counts whatever planning runs */
	if (!statement_in_scope() && guard_active())
		return judged_planner(parse, query_string, cursorOptions, boundParams);
	return call_planner(parse, query_string, cursorOptions, boundParams);
}

/*
 * Utility statements that run queries (DO, CALL, EXECUTE, COPY (query) TO, EXPLAIN ANALYZE, CREATE
 * TABLE AS, FETCH) are one top-level statement with everything they run.
 */
static void
ag_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				  ProcessUtilityContext context, ParamListInfo params,
				  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (!guard_active())
	{
		if (prev_ProcessUtility != nullptr)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		return;
	}
	statement_scope_enter(pstmt, queryString, pstmt->stmt_location, pstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ProcessUtility != nullptr)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(pstmt, true);
}

/*
 * A procedure may COMMIT or ROLLBACK inside CALL: PostgreSQL's per-transaction counters then start
 * again from zero. Committed rows are carried forward; rolled-back rows are gone, as are their rows.
 * An abort outside any scope ends everything.
 */
static void
ag_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	unguarded_qd = nullptr;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		agent_rule_qd = nullptr;
		agent_code_calls_abort();
	}
	if (!statement_active() && !statement_in_scope() && !row_guard_has_wraps())
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			/* deferred triggers have fired: the transaction's statement is complete */
			statement_scope_xact_precommit();
			row_guard_xact_precommit();
			break;
		case XACT_EVENT_PREPARE:
			if (!statement_in_scope())
			{
				statement_scope_xact_end();
				row_guard_forget_wraps();
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (!statement_in_scope())
			{
				statement_scope_xact_end();
				row_guard_forget_wraps();
			}
			else
				row_guard_xact_rollback_in_statement();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (!statement_in_scope())
			{
				statement_scope_xact_end();
				row_guard_forget_wraps();
			}
			break;
		default:
			break;
	}
}

void
install_executor_hooks(void)
{
	statement_scope_init();

	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ag_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = ag_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = ag_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = ag_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = ag_ProcessUtility;
	prev_planner = planner_hook;
	planner_hook = ag_planner;
	RegisterXactCallback(ag_xact_callback, nullptr);
}

}  // namespace agentguard
