/*
 * retention.cpp — agentguard.purge_audit(older_than interval): the one sanctioned way to delete audit
 * rows (SPEC §6). Approvers only. In one transaction, as the extension owner, holding the chain lock:
 *  - pending requests older than agentguard.request_ttl are marked 'expired';
 *  - the audit rows up to the newest one logged before now() - older_than are deleted (a prefix of the
 *    chain, so what stays is still one unbroken chain);
 *  - the cut is recorded in agentguard.audit_purges (the row_hash the first remaining row links to);
 *  - the purge itself becomes an audit row (decision 'purge') and a server-log line.
 */
#include "pg/pg_headers.hpp"

#include "pg/audit_chain.hpp"
#include "pg/guc.hpp"
#include "pg/human_audit.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"

namespace agentguard {

static const char *const kExpire =
	"UPDATE agentguard.requests SET status = 'expired', decided_at = pg_catalog.clock_timestamp() "
	"WHERE status OPERATOR(pg_catalog.=) 'pending' AND requested_at OPERATOR(pg_catalog.+) "
	"pg_catalog.make_interval(secs => $1) OPERATOR(pg_catalog.<=) pg_catalog.now()";

static const char *const kCut =
	"SELECT id, row_hash FROM agentguard.audit_log WHERE id OPERATOR(pg_catalog.=) "
	"(SELECT pg_catalog.max(id) FROM agentguard.audit_log "
	" WHERE logged_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) $1))";

static const char *const kDelete =
	"DELETE FROM agentguard.audit_log WHERE id OPERATOR(pg_catalog.<=) $1";

static const char *const kRecordCut =
	"INSERT INTO agentguard.audit_purges (purged_by, older_than, up_to_id, rows_deleted, boundary_hash) "
	"VALUES ($1, $2, $3, $4, $5)";

struct PurgeResult
{
	int64		deleted;
	int64		expired;
	int64		up_to_id;
};

static void
purge_in_store(Interval *older_than, PurgeResult *r)
{
	Oid			t_float[1] = {FLOAT8OID};
	Datum		a_float[1] = {Float8GetDatum((double) guc_request_ttl)};
	Oid			t_interval[1] = {INTERVALOID};
	Datum		a_interval[1] = {IntervalPGetDatum(older_than)};
	bool		isnull;
	Datum		boundary;
	bool		boundary_null;

	audit_chain_lock();
	if (SPI_execute_with_args(kExpire, 1, t_float, a_float, nullptr, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pg_agentguard: expiring requests failed");
	r->expired = (int64) SPI_processed;

	if (SPI_execute_with_args(kCut, 1, t_interval, a_interval, nullptr, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading agentguard.audit_log failed");
	if (SPI_processed == 0)
		return;
	r->up_to_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	boundary = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &boundary_null);
	if (!boundary_null)
		boundary = PointerGetDatum(DatumGetByteaPCopy(boundary));

	{
		Oid			types[1] = {INT8OID};
		Datum		args[1] = {Int64GetDatum(r->up_to_id)};

		if (SPI_execute_with_args(kDelete, 1, types, args, nullptr, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "pg_agentguard: deleting audit rows failed");
		r->deleted = (int64) SPI_processed;
	}
	{
		Oid			types[5] = {NAMEOID, INTERVALOID, INT8OID, INT8OID, BYTEAOID};
		Datum		args[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', boundary_null ? 'n' : ' '};

		args[0] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
		args[1] = IntervalPGetDatum(older_than);
		args[2] = Int64GetDatum(r->up_to_id);
		args[3] = Int64GetDatum(r->deleted);
		args[4] = boundary;
		if (SPI_execute_with_args(kRecordCut, 5, types, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "pg_agentguard: recording the purge failed");
	}
}

}  // namespace agentguard

using namespace agentguard;

extern "C" {
PGDLLEXPORT Datum agentguard_purge_audit(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(agentguard_purge_audit);

Datum
agentguard_purge_audit(PG_FUNCTION_ARGS)
{
	Interval   *older_than;
	PurgeResult r = {0, 0, 0};
	OwnerSql	os;
	HumanAction a;
	char	   *words;

	if (session_is_guarded())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("agents may not call agentguard.purge_audit()"),
				 errhint("Ask an approver to run it. Do not try to get around the guard.")));
	if (!current_user_is_approver())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function agentguard.purge_audit"),
				 errdetail("Only superusers and members of agentguard_approver may purge the audit log.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be NULL")));
	older_than = PG_GETARG_INTERVAL_P(0);
	if (older_than->month < 0 || older_than->day < 0 || older_than->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative")));

	owner_sql_begin(&os);
	PG_TRY();
	{
		purge_in_store(older_than, &r);
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);

	words = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(older_than)));
	memset(&a, 0, sizeof(a));
	a.decision = "purge";
	a.command = "agentguard.purge_audit";
	a.objects = list_make1(pstrdup("agentguard.audit_log"));
	a.reason = r.up_to_id > 0
		? psprintf("deleted " INT64_FORMAT " audit rows logged more than %s ago (ids up to " INT64_FORMAT "); "
				   INT64_FORMAT " requests expired", r.deleted, words, r.up_to_id, r.expired)
		: psprintf("no audit rows logged more than %s ago; " INT64_FORMAT " requests expired", words, r.expired);
	a.rows_affected = r.deleted;
	record_human_action(&a);
	PG_RETURN_INT64(r.deleted);
}

}  // extern "C"
