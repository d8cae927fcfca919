/*
 * sql_functions.cpp — the approvers' functions of SPEC §5:
 *
 *   agentguard.approve(request_id bigint, valid_for interval DEFAULT '15 minutes', uses integer DEFAULT 1) → text
 *   agentguard.deny(request_id bigint, reason text DEFAULT NULL) → void
 *   agentguard.grant_token(agent regrole, statement text, valid_for interval DEFAULT '15 minutes',
 *                          uses integer DEFAULT 1) → text
 *   agentguard.revoke_token(token_id bigint) → boolean
 *
 * They are plain (not SECURITY DEFINER) C functions so that the caller is who calls them: each one first
 * asks current_user_is_approver(), which refuses every guarded session — an agent, a superuser agent, or
 * an agent calling through a SECURITY DEFINER wrapper of its own (its login role stays an agent). The
 * EXECUTE grant to agentguard_approver is only the first fence.
 *
 * Their table work runs as the extension owner through owner_sql (schema-qualified SQL, pinned
 * search_path, hooks stepped aside). A request row is locked (FOR UPDATE) before it is decided, so two
 * approvers deciding the same request take turns and the second one sees it is no longer pending.
 *
 * grant_token() resolves the statement's objects when it is called, with the agent role's own search_path
 * (its role and database settings, never the approver's), and binds the token to them as approve() binds
 * a token to the objects its request recorded.
 *
 * Tokens: 20 bytes from pg_strong_random(), shown as "agt_<token id>_<40 lower-case hex digits>"; the
 * store keeps the SHA-256 of those 40 hex characters as text (what SQL's sha256(convert_to(hex, 'UTF8'))
 * computes), never the secret.
 */
#include "pg/pg_headers.hpp"

#include <string>

#include "core/text.hpp"
#include "core/token.hpp"
#include "pg/audit_write.hpp"
#include "pg/guc.hpp"
#include "pg/event_sink.hpp"
#include "pg/approval_scope.hpp"
#include "pg/human_audit.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sha256.hpp"
#include "pg/pg_guard.hpp"
#include "pg/request_ids.hpp"
#include "pg/sql_functions.hpp"

namespace agentguard {

/* More uses than this is not "one statement, approved": it is a standing permission. */
static const int kMaxUses = 1000;

/* How long approve()/deny() wait for the audit worker to record a request that was just blocked. */
static const int kRecordWaitMillis = 2000;
static const int kRecordPollMillis = 50;

static const char *const kSelectRequest =
	"SELECT status, database_oid, decided_by, decided_at, "
	"requested_at OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => $2) "
	"OPERATOR(pg_catalog.<=) pg_catalog.now() AS expired "
	"FROM agentguard.requests WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE";

/*
 * A request restored by pg_restore into another database (or another cluster) carries the OIDs of the
 * database it was dumped from: its database, agent and objects are bound again by name, the names it
 * recorded. pg_upgrade keeps database, role and relation OIDs, so it never needs this. A request whose
 * objects cannot all be found by name any more cannot be approved.
 */
static const char *const kRebindRequest =
	"UPDATE agentguard.requests r SET database_oid = $2, "
	"agent_oid = (SELECT a.oid FROM pg_catalog.pg_roles a WHERE a.rolname OPERATOR(pg_catalog.=) r.agent), "
	"object_oids = CASE WHEN r.object_oids IS NULL THEN NULL ELSE "
	"ARRAY(SELECT pg_catalog.to_regclass(o)::pg_catalog.oid FROM pg_catalog.unnest(r.objects) o) END "
	"WHERE r.id OPERATOR(pg_catalog.=) $1 "
	"RETURNING agent_oid IS NOT NULL AND (object_oids IS NULL OR "
	"(pg_catalog.array_position(object_oids, NULL) IS NULL AND "
	"pg_catalog.cardinality(object_oids) OPERATOR(pg_catalog.=) pg_catalog.cardinality(objects)))";

static const char *const kInsertApprovedToken =
	"INSERT INTO agentguard.token_store (request_id, agent, agent_oid, database_oid, statement, "
	"statement_hash, object_oids, secret_hash, created_by, created_at, expires_at, uses_left) "
	"SELECT r.id, r.agent, r.agent_oid, r.database_oid, r.statement, r.statement_hash, r.object_oids, "
	"$2, $3, pg_catalog.clock_timestamp(), $4, $5 "
	"FROM agentguard.requests r WHERE r.id OPERATOR(pg_catalog.=) $1 "
	"RETURNING id";

static const char *const kMarkApproved =
	"UPDATE agentguard.requests SET status = 'approved', decided_by = $2, "
	"decided_at = pg_catalog.clock_timestamp() WHERE id OPERATOR(pg_catalog.=) $1";

static const char *const kMarkDenied =
	"UPDATE agentguard.requests SET status = 'denied', decided_by = $2, "
	"decided_at = pg_catalog.clock_timestamp(), deny_reason = $3 WHERE id OPERATOR(pg_catalog.=) $1";

static const char *const kInsertGrantedToken =
	"INSERT INTO agentguard.token_store (request_id, agent, agent_oid, database_oid, statement, "
	"statement_hash, object_oids, secret_hash, created_by, created_at, expires_at, uses_left) "
	"VALUES (NULL, $1, $2, $3, $4, $5, $10, $6, $7, pg_catalog.clock_timestamp(), $8, $9) "
	"RETURNING id";



static const char *const kSelectTokenState =
	"SELECT revoked, (uses_left OPERATOR(pg_catalog.>) 0 AND NOT revoked "
	"AND expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()) AS active "
	"FROM agentguard.token_store WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE";

static const char *const kRevoke =
	"UPDATE agentguard.token_store SET revoked = true WHERE id OPERATOR(pg_catalog.=) $1";

/* ---------- argument checks ---------- */

void
require_approver(const char *fn)
{
	if (session_is_guarded())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("agents may not call agentguard.%s()", fn),
				 errdetail("The session's role is a member of agentguard_agent; only a human approver may decide on requests and tokens."),
				 errhint("Ask an approver to run it. Do not try to get around the guard.")));
	if (!current_user_is_approver())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function agentguard.%s", fn),
				 errdetail("Only superusers and members of agentguard_approver may approve, deny and grant tokens.")));
	if (!OidIsValid(extension_owner()))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"%s\" is not installed in this database", AG_EXTENSION)));
	/* Deciding writes the request and token records: say so before any internal query fails. */
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot call agentguard.%s() on a standby server", fn),
				 errdetail("Decisions on requests and tokens are written to tables."),
				 errhint("Connect to the primary server and call it there.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot call agentguard.%s() in a read-only transaction", fn),
				 errdetail("Decisions on requests and tokens are written to tables."),
				 errhint("Call it in a read-write transaction, for example after SET TRANSACTION READ WRITE or outside BEGIN READ ONLY.")));
}

static void
require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

static void
require_positive_id(int64 id, const char *name)
{
	if (id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive, not " INT64_FORMAT, name, id)));
}

/* Turns valid_for into an absolute expiry on the wall clock, checking it against the cap. */
static TimestampTz
expiry_for(Interval *valid_for)
{
	/* Rough length first: months as 30 days. It only keeps absurd values away from timestamp
	 * arithmetic, which would fail with a confusing "timestamp out of range". */
	double		rough = (double) valid_for->month * 30.0 * SECS_PER_DAY +
		(double) valid_for->day * SECS_PER_DAY + (double) valid_for->time / USECS_PER_SEC;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz expires;
	int64		usecs;
	const char *cap;

	cap = GetConfigOptionByName("agentguard.max_valid_for", nullptr, false);
	if (rough > 1e10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valid_for must not exceed agentguard.max_valid_for (%s)", cap)));
	if (rough < -1e10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valid_for must be a positive interval")));

	/* Calendar-exact: '1 month' is the length of the coming month. */
	expires = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(now),
													  IntervalPGetDatum(valid_for)));
	usecs = expires - now;
	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valid_for must be a positive interval")));
	if (usecs > (int64) guc_max_valid_for * USECS_PER_SEC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valid_for must not exceed agentguard.max_valid_for (%s)", cap),
				 errhint("A DBA can raise agentguard.max_valid_for; a shorter approval is safer.")));
	return expires;
}

static int32
checked_uses(int32 uses)
{
	if (uses <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("uses must be positive, not %d", uses)));
	if (uses > kMaxUses)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("uses must be at most %d, not %d", kMaxUses, uses)));
	return uses;
}

static Datum
name_datum(const char *s)
{
	return DirectFunctionCall1(namein, CStringGetDatum(s));
}

static bool
role_can_login(Oid roleid)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	bool		can;

	if (!HeapTupleIsValid(tup))
		return false;
	can = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	return can;
}

static const char *
caller_name(void)
{
	return GetUserNameFromId(GetUserId(), false);
}

/* ---------- secrets ---------- */

struct Secret
{
	unsigned char bytes[kTokenSecretBytes];
	char		hex[kTokenSecretBytes * 2 + 1];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
};

static void
make_secret(Secret *s)
{
	static const char digits[] = "0123456789abcdef";

	if (!pg_strong_random(s->bytes, sizeof(s->bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random approval token")));
	for (size_t i = 0; i < sizeof(s->bytes); i++)
	{
		s->hex[2 * i] = digits[s->bytes[i] >> 4];
		s->hex[2 * i + 1] = digits[s->bytes[i] & 0x0f];
	}
	s->hex[sizeof(s->hex) - 1] = '\0';
	/* The digest of the hex text as the agent presents it (parse_token lower-cases it). */
	sha256_of(s->hex, strlen(s->hex), s->digest);
}

/* The token text, in the caller's memory context; wipes the secret. */
static text *
token_text(int64 token_id, Secret *s)
{
	char	   *tok = nullptr;
	text	   *result;

	ag_cpp_call("formatting an approval token", [&]() {
		tok = ag_pstrdup_nothrow(format_token(token_id, s->bytes, sizeof(s->bytes)));
	});
	explicit_bzero(s, sizeof(*s));
	ag_check_alloc(tok);
	result = cstring_to_text(tok);
	explicit_bzero(tok, strlen(tok));
	return result;
}

/* ---------- requests ---------- */

/*
 * Inside owner_sql: finds and locks the pending request id, waiting briefly for the audit worker when
 * the id was issued but its row is not written yet. Errors for anything but a pending request.
 */
static void
lock_pending_request(int64 id)
{
	Oid			argtypes[2] = {INT8OID, FLOAT8OID};
	Datum		args[2] = {Int64GetDatum(id), Float8GetDatum((double) guc_request_ttl)};
	int			waited = 0;
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	char	   *status;
	Oid			dboid;
	bool		expired;

	/* Records of this database still in the queue are written now, in this transaction: a request
	 * whose agent has received its error is always found. */
	audit_flush_own_database();
	for (;;)
	{
		Oid			owner_db;

		/* In READ COMMITTED every SPI query takes a new snapshot: a row committed meanwhile is seen. */
		if (SPI_execute_with_args(kSelectRequest, 2, argtypes, args, nullptr, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "pg_agentguard: reading agentguard.requests failed");
		if (SPI_processed == 1)
			break;
		owner_db = request_ids_database(id);
		if (OidIsValid(owner_db) && owner_db != MyDatabaseId)
		{
			char	   *dbname = get_database_name(owner_db);

			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("request " INT64_FORMAT " belongs to database \"%s\", not to this one", id,
							dbname != nullptr ? dbname : "(dropped)"),
					 errdetail("Nothing was approved or denied."),
					 dbname != nullptr ? errhint("Connect to database \"%s\" and run it there.", dbname) : 0));
		}
		if (id > request_ids_issued_max() || !OidIsValid(owner_db))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("request " INT64_FORMAT " does not exist in this database", id),
					 errhint("Request ids are unique in the cluster; the agent's error names the database of its request. agentguard.pending lists the requests awaiting a decision here.")));
		/* Ours, and a writer is committing it right now. */
		if (waited >= kRecordWaitMillis || IsolationUsesXactSnapshot())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("request " INT64_FORMAT " is not recorded yet; retry in a moment", id),
					 errdetail("The id was issued when the statement was blocked, but its record has not reached agentguard.requests yet."),
					 IsolationUsesXactSnapshot()
					 ? errhint("Retry in a new transaction: this one's snapshot cannot see records that arrive later.")
					 : errhint("If it never arrives, the server log holds the blocked statement.")));
		pg_usleep(kRecordPollMillis * 1000L);
		waited += kRecordPollMillis;
		CHECK_FOR_INTERRUPTS();
	}

	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	status = SPI_getvalue(row, desc, 1);
	dboid = DatumGetObjectId(SPI_getbinval(row, desc, 2, &isnull));
	expired = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
	if (status != nullptr && strcmp(status, "pending") == 0 && expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("request " INT64_FORMAT " has expired", id),
				 errdetail("It was not decided within agentguard.request_ttl (%s).",
						   GetConfigOptionByName("agentguard.request_ttl", nullptr, false)),
				 errhint("The agent gets a new request by running the statement again.")));
	if (status != nullptr && strcmp(status, "pending") == 0 && dboid != MyDatabaseId)
	{
		Oid			rtypes[2] = {INT8OID, OIDOID};
		Datum		rargs[2] = {Int64GetDatum(id), ObjectIdGetDatum(MyDatabaseId)};

		if (SPI_execute_with_args(kRebindRequest, 2, rtypes, rargs, nullptr, false, 0) !=
			SPI_OK_UPDATE_RETURNING || SPI_processed != 1)
			elog(ERROR, "pg_agentguard: binding restored request " INT64_FORMAT " failed", id);
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("request " INT64_FORMAT " was recorded in another database and its agent or objects cannot be found here by name", id),
					 errhint("Deny it; the agent gets a new request by running the statement again.")));
		ereport(NOTICE,
				(errmsg("request " INT64_FORMAT " was recorded before a restore; its agent and objects were bound again by name", id)));
	}
	if (status == nullptr || strcmp(status, "pending") != 0)
	{
		char	   *by = SPI_getvalue(row, desc, 3);
		char	   *at = SPI_getvalue(row, desc, 4);

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("request " INT64_FORMAT " is not pending: it was already %s", id,
						status != nullptr ? status : "decided"),
				 (by != nullptr && at != nullptr) ? errdetail("Decided by %s at %s.", by, at) : 0));
	}
}

static Datum
oid_array_datum(List *oids)
{
	int			n = list_length(oids);
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, oids)
		d[i++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(d, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

/* ---------- the functions ---------- */

struct ApproveArgs
{
	int64		request_id;
	TimestampTz expires;
	int32		uses;
	const char *approver;
	Secret	   *secret;
	int64		token_id;		/* out */
};

static void
approve_in_store(ApproveArgs *a)
{
	Oid			ins_types[5] = {INT8OID, BYTEAOID, NAMEOID, TIMESTAMPTZOID, INT4OID};
	Datum		ins_args[5];
	Oid			upd_types[2] = {INT8OID, NAMEOID};
	Datum		upd_args[2];
	bool		isnull;

	lock_pending_request(a->request_id);

	ins_args[0] = Int64GetDatum(a->request_id);
	ins_args[1] = PointerGetDatum(digest_bytea(a->secret->digest));
	ins_args[2] = name_datum(a->approver);
	ins_args[3] = TimestampTzGetDatum(a->expires);
	ins_args[4] = Int32GetDatum(a->uses);
	if (SPI_execute_with_args(kInsertApprovedToken, 5, ins_types, ins_args, nullptr, false, 0) !=
		SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "pg_agentguard: storing the approval token failed");
	a->token_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	upd_args[0] = Int64GetDatum(a->request_id);
	upd_args[1] = name_datum(a->approver);
	if (SPI_execute_with_args(kMarkApproved, 2, upd_types, upd_args, nullptr, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "pg_agentguard: marking request " INT64_FORMAT " approved failed", a->request_id);
}

static void
approve_body(void *arg)
{
	approve_in_store(static_cast<ApproveArgs *>(arg));
}

static void
approve_wipe(void *arg)
{
	explicit_bzero(static_cast<ApproveArgs *>(arg)->secret, sizeof(Secret));
}

/* deny(): marks a pending request denied. */
struct DenyArgs
{
	int64		request_id;
	Datum		args[3];
	char		nulls[3];
};

static void
deny_body(void *arg)
{
	DenyArgs   *d = static_cast<DenyArgs *>(arg);
	Oid			types[3] = {INT8OID, NAMEOID, TEXTOID};

	lock_pending_request(d->request_id);
	if (SPI_execute_with_args(kMarkDenied, 3, types, d->args, d->nulls, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "pg_agentguard: marking request " INT64_FORMAT " denied failed", d->request_id);
}

/* grant_token(): stores a token for a statement. */
struct GrantArgs
{
	Datum		args[10];
	Secret	   *secret;
	int64		token_id;		/* out */
};

static void
grant_body(void *arg)
{
	GrantArgs  *g = static_cast<GrantArgs *>(arg);
	Oid			types[10] = {NAMEOID, OIDOID, OIDOID, TEXTOID, BYTEAOID, BYTEAOID, NAMEOID, TIMESTAMPTZOID, INT4OID,
		OIDARRAYOID};
	bool		isnull;

	if (SPI_execute_with_args(kInsertGrantedToken, 10, types, g->args, nullptr, false, 0) !=
		SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "pg_agentguard: storing the token failed");
	g->token_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

static void
grant_wipe(void *arg)
{
	explicit_bzero(static_cast<GrantArgs *>(arg)->secret, sizeof(Secret));
}

/* revoke_token(): revokes a token unless it already is. */
struct RevokeArgs
{
	int64		token_id;
	bool		found;			/* out */
	bool		was_active;		/* out */
	bool		was_revoked;	/* out */
};

static void
revoke_body(void *arg)
{
	RevokeArgs *r = static_cast<RevokeArgs *>(arg);
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(r->token_id)};
	bool		isnull;

	/* FOR UPDATE: waits for an agent's transaction that is consuming a use right now, then sees
	 * whether that use was committed. */
	if (SPI_execute_with_args(kSelectTokenState, 1, types, args, nullptr, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading the token store failed");
	r->found = SPI_processed == 1;
	if (!r->found)
		return;
	r->was_revoked = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	r->was_active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (!r->was_revoked &&
		SPI_execute_with_args(kRevoke, 1, types, args, nullptr, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "pg_agentguard: revoking token " INT64_FORMAT " failed", r->token_id);
}

}  // namespace agentguard

using namespace agentguard;

extern "C" {
/* Before PostgreSQL 16, PG_FUNCTION_INFO_V1 does not mark the function itself as exported. */
PGDLLEXPORT Datum agentguard_approve(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum agentguard_deny(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum agentguard_grant_token(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum agentguard_revoke_token(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(agentguard_approve);
PG_FUNCTION_INFO_V1(agentguard_deny);
PG_FUNCTION_INFO_V1(agentguard_grant_token);
PG_FUNCTION_INFO_V1(agentguard_revoke_token);

Datum
agentguard_approve(PG_FUNCTION_ARGS)
{
	ApproveArgs a;
	Secret		secret;

	require_approver("approve");
	require_arg(fcinfo, 0, "request_id");
	require_arg(fcinfo, 1, "valid_for");
	require_arg(fcinfo, 2, "uses");

	a.request_id = PG_GETARG_INT64(0);
	require_positive_id(a.request_id, "request_id");
	a.expires = expiry_for(PG_GETARG_INTERVAL_P(1));
	a.uses = checked_uses(PG_GETARG_INT32(2));
	a.approver = caller_name();
	a.secret = &secret;
	a.token_id = 0;
	make_secret(&secret);

	owner_sql_run(approve_body, approve_wipe, &a);

	{
		HumanAction h;

		memset(&h, 0, sizeof(h));
		h.decision = "approve";
		h.command = "agentguard.approve";
		h.reason = psprintf("approved request " INT64_FORMAT " with token " INT64_FORMAT ": %d use%s, valid until %s",
							a.request_id, a.token_id, a.uses, a.uses == 1 ? "" : "s",
							timestamptz_to_str(a.expires));
		h.rows_affected = -1;
		h.request_id = a.request_id;
		h.token_id = a.token_id;
		record_human_action(&h);
	}
	PG_RETURN_TEXT_P(token_text(a.token_id, &secret));
}

Datum
agentguard_deny(PG_FUNCTION_ARGS)
{
	DenyArgs	d;

	require_approver("deny");
	require_arg(fcinfo, 0, "request_id");
	d.request_id = PG_GETARG_INT64(0);
	require_positive_id(d.request_id, "request_id");

	d.args[0] = Int64GetDatum(d.request_id);
	d.args[1] = name_datum(caller_name());
	d.nulls[0] = d.nulls[1] = d.nulls[2] = ' ';
	if (PG_ARGISNULL(1))
	{
		d.args[2] = (Datum) 0;
		d.nulls[2] = 'n';
	}
	else
		d.args[2] = PointerGetDatum(PG_GETARG_TEXT_PP(1));

	owner_sql_run(deny_body, nullptr, &d);

	{
		HumanAction h;

		memset(&h, 0, sizeof(h));
		h.decision = "deny";
		h.command = "agentguard.deny";
		h.reason = PG_ARGISNULL(1)
			? psprintf("denied request " INT64_FORMAT, d.request_id)
			: psprintf("denied request " INT64_FORMAT ": %s", d.request_id, text_to_cstring(PG_GETARG_TEXT_PP(1)));
		h.rows_affected = -1;
		h.request_id = d.request_id;
		record_human_action(&h);
	}
	PG_RETURN_VOID();
}

Datum
agentguard_grant_token(PG_FUNCTION_ARGS)
{
	Oid			agent;
	char	   *agent_name;
	char	   *statement;
	char	   *redacted = nullptr;
	char	   *normalized = nullptr;
	List	   *parsed;
	TimestampTz expires;
	int32		uses;
	Secret		secret;
	uint8		statement_digest[PG_SHA256_DIGEST_LENGTH];
	GrantArgs	g;
	List	   *objects;
	LexOptions	lex;

	require_approver("grant_token");
	require_arg(fcinfo, 0, "agent");
	require_arg(fcinfo, 1, "statement");
	require_arg(fcinfo, 2, "valid_for");
	require_arg(fcinfo, 3, "uses");

	agent = PG_GETARG_OID(0);
	agent_name = OidIsValid(agent) ? GetUserNameFromId(agent, true) : nullptr;
	if (agent_name == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", agent)));
	/*
	 * A token is bound to the login role of the session that presents it. A role that cannot log in
	 * could never present it: that is an error. A login role that is not an agent is allowed (its
	 * sessions are guarded when they SET ROLE to an agent, as a connection pooler's may), with a notice,
	 * since it is more often a mistyped name.
	 */
	if (!role_can_login(agent))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" cannot log in", agent_name),
				 errdetail("A token is bound to the login role of the agent's session.")));
	if (!role_is_agent(agent))
		ereport(NOTICE,
				(errmsg("role \"%s\" is not an agent", agent_name),
				 errdetail("The token is used only by sessions of this login role that are guarded, for example after SET ROLE to an agent."),
				 errhint("To tag the role as an agent: GRANT agentguard_agent TO %s;", quote_identifier(agent_name))));

	statement = text_to_cstring(PG_GETARG_TEXT_PP(1));
	/* The token lets through one statement: the text must be exactly one, and valid SQL. */
	parsed = raw_parser(statement, RAW_PARSE_DEFAULT);
	if (list_length(parsed) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("statement must be exactly one SQL statement, not %d", list_length(parsed))));

	expires = expiry_for(PG_GETARG_INTERVAL_P(2));
	uses = checked_uses(PG_GETARG_INT32(3));
	objects = granted_objects(castNode(RawStmt, linitial(parsed))->stmt, agent, agent_name);

	lex = session_lex_options();
	ag_cpp_call("normalising a statement", [&]() {
		redacted = ag_pstrdup_nothrow(redact_passwords(statement, lex));
		normalized = ag_pstrdup_nothrow(normalize_statement(statement, lex));
	});
	ag_check_alloc(redacted);
	ag_check_alloc(normalized);
	sha256_of(normalized, strlen(normalized), statement_digest);
	make_secret(&secret);

	g.args[0] = name_datum(agent_name);
	g.args[1] = ObjectIdGetDatum(agent);
	g.args[2] = ObjectIdGetDatum(MyDatabaseId);
	g.args[3] = CStringGetTextDatum(redacted);
	g.args[4] = PointerGetDatum(digest_bytea(statement_digest));
	g.args[5] = PointerGetDatum(digest_bytea(secret.digest));
	g.args[6] = name_datum(caller_name());
	g.args[7] = TimestampTzGetDatum(expires);
	g.args[8] = Int32GetDatum(uses);
	g.args[9] = oid_array_datum(objects);

	g.secret = &secret;
	g.token_id = 0;

	owner_sql_run(grant_body, grant_wipe, &g);

	{
		HumanAction h;

		memset(&h, 0, sizeof(h));
		h.decision = "grant_token";
		h.command = "agentguard.grant_token";
		h.objects = list_make1(agent_name);
		h.reason = psprintf("granted token " INT64_FORMAT " to role %s: %d use%s, valid until %s", g.token_id,
							agent_name, uses, uses == 1 ? "" : "s", timestamptz_to_str(expires));
		h.rows_affected = -1;
		h.token_id = g.token_id;
		record_human_action(&h);
	}
	PG_RETURN_TEXT_P(token_text(g.token_id, &secret));
}

Datum
agentguard_revoke_token(PG_FUNCTION_ARGS)
{
	RevokeArgs	r;

	require_approver("revoke_token");
	require_arg(fcinfo, 0, "token_id");
	r.token_id = PG_GETARG_INT64(0);
	require_positive_id(r.token_id, "token_id");
	r.found = r.was_active = r.was_revoked = false;

	owner_sql_run(revoke_body, nullptr, &r);

	if (!r.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("token " INT64_FORMAT " does not exist", r.token_id),
				 errhint("agentguard.tokens lists the tokens.")));
	{
		HumanAction h;

		memset(&h, 0, sizeof(h));
		h.decision = "revoke_token";
		h.command = "agentguard.revoke_token";
		h.reason = psprintf("revoked token " INT64_FORMAT "%s", r.token_id,
							r.was_revoked ? " (it was revoked already)" : r.was_active ? "" : " (it was no longer usable)");
		h.rows_affected = -1;
		h.token_id = r.token_id;
		record_human_action(&h);
	}
	PG_RETURN_BOOL(r.was_active);
}

}  // extern "C"
