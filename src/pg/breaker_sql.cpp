/*
 * breaker_sql.cpp — the SQL side of the circuit breakers (SPEC §8):
 *
 *   agentguard._breakers() → the rows of view agentguard.breakers
 *   agentguard.reset_breaker(agent regrole) → boolean (true when it was open)
 *   agentguard.trip_breaker(agent regrole, reason text) → boolean (true when it was closed)
 *   agentguard._breaker_clock_advance(by interval) → interval: moves the breakers' clock forward, for
 *       tests of the rolling window; superusers that are not agents only.
 *
 * And breaker_utility_writes(): which utility statements an open breaker refuses.
 *
 * reset_breaker and trip_breaker are approvers' functions (require_approver(), as approve() and deny())
 * and each writes one audit row in the caller's transaction, as the extension owner (owner_sql); a trip
 * by a human also sends NOTIFY agentguard (type "breaker") when that transaction commits.
 */
#include "pg/pg_headers.hpp"

#include "pg/breaker.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sql_functions.hpp"

namespace agentguard {

static const char *const kInsertHumanAction =
	"INSERT INTO agentguard.audit_log (logged_at, database, session_role, \"current_role\", application_name, "
	"client_addr, backend_pid, command, statement, objects, decision, reason) "
	"VALUES (pg_catalog.clock_timestamp(), pg_catalog.current_database(), $1, $2, $3, "
	"pg_catalog.inet_client_addr(), pg_catalog.pg_backend_pid(), $4, $5, $6, $4, $7)";

/* One audit row for a human's reset_breaker/trip_breaker (decision = command = the function's name). */
static void
audit_human_action(const char *fn, const char *agent, const char *reason)
{
	Oid			types[7] = {NAMEOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID};
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *appname = GetConfigOption("application_name", true, false);
	Datum		obj = CStringGetTextDatum(agent);
	OwnerSql	os;

	args[0] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	args[2] = CStringGetTextDatum(appname != nullptr ? appname : "");
	args[3] = CStringGetTextDatum(fn);
	args[4] = CStringGetTextDatum(psprintf("SELECT agentguard.%s(%s)", fn, quote_literal_cstr(agent)));
	args[5] = PointerGetDatum(construct_array(&obj, 1, TEXTOID, -1, false, TYPALIGN_INT));
	if (reason != nullptr)
		args[6] = CStringGetTextDatum(reason);
	else
	{
		args[6] = (Datum) 0;
		nulls[6] = 'n';
	}
	owner_sql_begin(&os);
	PG_TRY();
	{
		if (SPI_execute_with_args(kInsertHumanAction, 7, types, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "pg_agentguard: recording %s in agentguard.audit_log failed", fn);
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
}

/* Utility statements that neither write nor change the schema: a tripped agent may still run them.
 * (Statements that run queries — EXECUTE, DO, CALL, EXPLAIN ANALYZE, COPY (query) TO — are judged by
 * the executor check of each query they run.) */
bool
breaker_utility_writes(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_ExplainStmt:
		case T_DeclareCursorStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_DoStmt:
		case T_CallStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_NotifyStmt:
		case T_LockStmt:
		case T_CheckPointStmt:
		case T_VacuumStmt:
		case T_ConstraintsSetStmt:
			return false;
		case T_CopyStmt:
			return castNode(CopyStmt, parsetree)->is_from;
		default:
			return true;
	}
}

static Oid
agent_arg(FunctionCallInfo fcinfo)
{
	Oid			role;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("agent must not be NULL")));
	role = PG_GETARG_OID(0);
	if (GetUserNameFromId(role, true) == nullptr)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role with OID %u does not exist", role)));
	return role;
}

}  // namespace agentguard

using namespace agentguard;

extern "C" {

PG_FUNCTION_INFO_V1(ag_breakers);
PG_FUNCTION_INFO_V1(ag_reset_breaker);
PG_FUNCTION_INFO_V1(ag_trip_breaker);
PG_FUNCTION_INFO_V1(ag_breaker_clock_advance);

Datum
ag_breakers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	BreakerRow *rows;
	int			n;

	InitMaterializedSRF_compat(fcinfo);
	n = breaker_snapshot(&rows);
	for (int i = 0; i < n; i++)
	{
		Datum		v[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		Interval   *win = static_cast<Interval *>(palloc0(sizeof(Interval)));

		v[0] = ObjectIdGetDatum(rows[i].role);
		v[1] = CStringGetTextDatum(rows[i].open ? "open" : "closed");
		v[2] = TimestampTzGetDatum(rows[i].tripped_at);
		nulls[2] = !rows[i].open;
		v[3] = CStringGetTextDatum(rows[i].reason);
		nulls[3] = !rows[i].open;
		v[4] = Int64GetDatum(rows[i].rows);
		v[5] = Int64GetDatum(rows[i].refusals);
		win->time = rows[i].window_secs * USECS_PER_SEC;
		v[6] = IntervalPGetDatum(win);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

Datum
ag_reset_breaker(PG_FUNCTION_ARGS)
{
	Oid			role;
	bool		was_open;

	require_approver("reset_breaker");
	role = agent_arg(fcinfo);
	was_open = breaker_reset(role);
	audit_human_action("reset_breaker", GetUserNameFromId(role, false), was_open ? "it was open" : "it was closed");
	ereport(LOG,
			(errmsg_internal("pg_agentguard: decision=reset_breaker agent=\"%s\" by=\"%s\"",
							 GetUserNameFromId(role, false), GetUserNameFromId(GetUserId(), false)),
			 errhidestmt(true)));
	PG_RETURN_BOOL(was_open);
}

Datum
ag_trip_breaker(PG_FUNCTION_ARGS)
{
	Oid			role;
	const char *agent;
	char	   *why;
	char	   *reason;
	bool		tripped;
	StringInfoData payload;

	require_approver("trip_breaker");
	role = agent_arg(fcinfo);
	agent = GetUserNameFromId(role, false);
	why = PG_ARGISNULL(1) ? pstrdup("no reason given") : text_to_cstring(PG_GETARG_TEXT_PP(1));
	reason = psprintf("tripped by %s: %s", GetUserNameFromId(GetUserId(), false), why);
	tripped = breaker_trip(role, reason);
	audit_human_action("trip_breaker", agent, why);
	if (tripped)
	{
		initStringInfo(&payload);
		appendStringInfoString(&payload, "{\"type\":\"breaker\",\"agent\":");
		escape_json(&payload, agent);
		appendStringInfoString(&payload, ",\"database\":");
		escape_json(&payload, get_database_name(MyDatabaseId));
		appendStringInfoString(&payload, ",\"state\":\"open\",\"reason\":");
		escape_json(&payload, reason);
		appendStringInfoChar(&payload, '}');
		Async_Notify("agentguard", payload.data);
	}
	ereport(LOG,
			(errmsg_internal("pg_agentguard: decision=trip_breaker agent=\"%s\" reason=\"%s\"", agent, reason),
			 errhidestmt(true)));
	PG_RETURN_BOOL(tripped);
}

Datum
ag_breaker_clock_advance(PG_FUNCTION_ARGS)
{
	Interval   *by;
	Interval   *total = static_cast<Interval *>(palloc0(sizeof(Interval)));
	int64		usecs;

	if (session_is_guarded() || !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser that is not an agent may move the circuit breakers' clock")));
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("by must not be NULL")));
	by = PG_GETARG_INTERVAL_P(0);
	usecs = by->time + (int64) by->day * USECS_PER_DAY + (int64) by->month * 30 * USECS_PER_DAY;
	if (usecs < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the clock only moves forward")));
	total->time = breaker_clock_advance(usecs);
	PG_RETURN_INTERVAL_P(total);
}

}  // extern "C"
