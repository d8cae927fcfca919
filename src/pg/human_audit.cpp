/*
 * human_audit.cpp — the approvers' trail, DROP EXTENSION's guard for the history, and
 * agentguard.purge_audit(). See human_audit.hpp.
 *
 * A human action's row is written in the caller's transaction, inside an internal subtransaction: if
 * the action rolls back, so does its row; if the row cannot be written (a refused table, a full disk),
 * the subtransaction is rolled back alone and the human's action goes on with a WARNING — a human is
 * never blocked by the guard's bookkeeping. The server-log line is written first, always. Where no row
 * can exist (no extension in the database, a read-only transaction, a standby) the line is the record.
 *
 * The row joins the hash chain (audit_chain.cpp). The chain lock is then held until the caller's
 * transaction ends, so the audit writer of this database waits for an approver's open transaction:
 * approvers should not leave a transaction open after approve() or deny().
 */
#include "pg/pg_headers.hpp"

#include <string>

#include "core/text.hpp"
#include "pg/audit_chain.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/human_audit.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sha256.hpp"
#include "pg/pg_guard.hpp"

namespace agentguard {

static const size_t kMaxRecordedStatement = 64 * 1024;

static const char *const kInsertHuman =
	"INSERT INTO agentguard.audit_log (logged_at, database, session_role, \"current_role\", "
	"application_name, client_addr, backend_pid, command, statement, objects, decision, reason, "
	"rows_affected, request_id, token_id, prev_hash, row_hash) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
static Oid	kInsertTypes[AG_CHAIN_VALUES + 2] = {
	TIMESTAMPTZOID, NAMEOID, NAMEOID, NAMEOID, TEXTOID, INETOID, INT4OID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, BYTEAOID, BYTEAOID
};

static const char *
nonnull(const char *s)
{
	return s != nullptr ? s : "";
}

/* inet_client_addr(): NULL (not over TCP) becomes "". */
static const char *
client_address(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		addr;

	InitFunctionCallInfoData(*fcinfo, nullptr, 0, InvalidOid, nullptr, nullptr);
	addr = inet_client_addr(fcinfo);
	if (fcinfo->isnull)
		return "";
	return DatumGetCString(DirectFunctionCall1(inet_out, addr));
}

struct Who
{
	TimestampTz at;
	const char *database;
	const char *session_role;
	const char *current_role;
	const char *application;
	const char *client;
	const char *statement;		/* redacted, bounded */
};

static void
fill_who(const HumanAction *a, Who *w)
{
	const char *raw = a->statement != nullptr ? a->statement : nonnull(debug_query_string);
	char	   *red = nullptr;
	LexOptions	lex = session_lex_options();

	w->at = GetCurrentTimestamp();
	w->database = nonnull(get_database_name(MyDatabaseId));
	w->session_role = nonnull(GetUserNameFromId(GetSessionUserId(), true));
	w->current_role = nonnull(GetUserNameFromId(GetUserId(), true));
	w->application = pstrdup(nonnull(GetConfigOption("application_name", true, false)));
	w->client = client_address();
	ag_cpp_call("redacting a statement", [&]() {
		red = ag_pstrdup_nothrow(truncate_utf8(redact_passwords(std::string(raw), lex), kMaxRecordedStatement));
	});
	w->statement = ag_check_alloc(red);
}

static Datum
names_array(List *names)
{
	int			n = list_length(names);
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, names)
		d[i++] = CStringGetTextDatum(static_cast<const char *>(lfirst(lc)));
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static char *
notify_payload(const HumanAction *a, const Who *w)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"decision\":");
	escape_json(&buf, a->decision);
	appendStringInfo(&buf, ",\"id\":" INT64_FORMAT ",\"by\":", a->request_id);
	escape_json(&buf, w->session_role);
	appendStringInfoString(&buf, ",\"database\":");
	escape_json(&buf, w->database);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The row, as the extension owner; errors propagate (the caller's subtransaction catches them). */
static void
insert_row(const HumanAction *a, const Who *w)
{
	Datum		v[AG_CHAIN_VALUES + 2];
	char		nulls[AG_CHAIN_VALUES + 2];
	OwnerSql	os;

	memset(nulls, ' ', sizeof(nulls));
	v[0] = TimestampTzGetDatum(w->at);
	v[1] = DirectFunctionCall1(namein, CStringGetDatum(w->database));
	v[2] = DirectFunctionCall1(namein, CStringGetDatum(w->session_role));
	v[3] = DirectFunctionCall1(namein, CStringGetDatum(w->current_role));
	v[4] = CStringGetTextDatum(w->application);
	if (w->client[0] != '\0')
		v[5] = DirectFunctionCall1(inet_in, CStringGetDatum(w->client));
	else
	{
		v[5] = (Datum) 0;
		nulls[5] = 'n';
	}
	v[6] = Int32GetDatum(MyProcPid);
	v[7] = CStringGetTextDatum(nonnull(a->command));
	v[8] = CStringGetTextDatum(w->statement);
	v[9] = names_array(a->objects);
	v[10] = CStringGetTextDatum(a->decision);
	v[11] = CStringGetTextDatum(nonnull(a->reason));
	v[12] = Int64GetDatum(a->rows_affected);
	if (a->rows_affected < 0)
		nulls[12] = 'n';
	v[13] = Int64GetDatum(a->request_id);
	if (a->request_id <= 0)
		nulls[13] = 'n';
	v[14] = Int64GetDatum(a->token_id);
	if (a->token_id <= 0)
		nulls[14] = 'n';

	owner_sql_begin(&os);
	PG_TRY();
	{
		audit_chain_link(v, nulls, true, &v[15], &v[16]);
		if (SPI_execute_with_args(kInsertHuman, AG_CHAIN_VALUES + 2, kInsertTypes, v, nulls, false, 0) !=
			SPI_OK_INSERT)
			elog(ERROR, "pg_agentguard: inserting into agentguard.audit_log failed");
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
}

void
record_human_action(const HumanAction *a)
{
	Who			w;
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	fill_who(a, &w);
	ereport(guc_log_level,
			(errmsg_internal("pg_agentguard: %s by %s (current role %s, client %s, application \"%s\", pid %d) in database \"%s\": %s%s%s",
							 a->decision, w.session_role, w.current_role,
							 w.client[0] != '\0' ? w.client : "local", w.application, MyProcPid, w.database,
							 nonnull(a->reason),
							 a->request_id > 0 ? psprintf("; request " INT64_FORMAT, a->request_id) : "",
							 a->token_id > 0 ? psprintf("; token " INT64_FORMAT, a->token_id) : ""),
			 errhidestmt(true), errhidecontext(true)));

	if (!IsTransactionState() || XactReadOnly || RecoveryInProgress() ||
		!OidIsValid(get_extension_oid(AG_EXTENSION, true)))
		return;

	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		insert_row(a, &w);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ereport(WARNING,
				(errmsg("pg_agentguard could not record this %s in agentguard.audit_log: %s", a->decision,
						ed->message),
				 errdetail("The server log holds the record.")));
		return;
	}
	PG_END_TRY();

	/* Transactional: listeners hear of a decision when it commits. */
	if (a->request_id > 0)
		Async_Notify("agentguard", notify_payload(a, &w));
}

/* ---------------------------------------------------------------------------------------------------
 * Settings */

static char *
setting_words(VariableSetStmt *set)
{
	if (set->kind == VAR_RESET_ALL)
		return pstrdup("every setting reset, agentguard.* included");
	if (set->kind == VAR_SET_VALUE)
	{
		char	   *value = ExtractSetVariableArgs(set);

		if (pg_strcasecmp(set->name, "agentguard.token") == 0)
			value = pstrdup("'<redacted>'");
		return psprintf("%s = %s", set->name, value != nullptr ? value : "DEFAULT");
	}
	return psprintf("%s reset", set->name);
}

void
record_setting_change(Node *parsetree, const char *query, int location, int length)
{
	VariableSetStmt *set = nullptr;
	const char *scope = nullptr;
	const char *object = nullptr;
	HumanAction a;

	switch (nodeTag(parsetree))
	{
		case T_AlterRoleSetStmt:
			{
				AlterRoleSetStmt *s = castNode(AlterRoleSetStmt, parsetree);
				const char *role = s->role == nullptr ? nullptr :
					s->role->roletype == ROLESPEC_CSTRING ? s->role->rolename :
					GetUserNameFromId(get_rolespec_oid(s->role, true), true);

				set = s->setstmt;
				object = role != nullptr ? role : "ALL";
				scope = s->database != nullptr
					? psprintf("for role %s in database %s", object, s->database)
					: psprintf("for role %s", object);
				break;
			}
		case T_AlterDatabaseSetStmt:
			{
				AlterDatabaseSetStmt *s = castNode(AlterDatabaseSetStmt, parsetree);

				set = s->setstmt;
				object = s->dbname;
				scope = psprintf("for database %s", s->dbname);
				break;
			}
		case T_AlterSystemStmt:
			set = castNode(AlterSystemStmt, parsetree)->setstmt;
			object = "ALTER SYSTEM";
			scope = "for the server (postgresql.auto.conf; in force after a reload)";
			break;
		default:
			return;
	}
	if (set == nullptr)
		return;
	if (set->kind != VAR_RESET_ALL &&
		(set->name == nullptr || pg_strncasecmp(set->name, "agentguard.", 11) != 0))
		return;

	memset(&a, 0, sizeof(a));
	a.decision = "setting";
	a.command = GetCommandTagName(CreateCommandTag(parsetree));
	a.statement = set->name != nullptr && pg_strcasecmp(set->name, "agentguard.token") == 0
		? a.command : statement_text(query, location, length);
	a.objects = list_make1(pstrdup(object));
	a.reason = psprintf("%s %s", setting_words(set), scope);
	a.rows_affected = -1;
	record_human_action(&a);
}

/* ---------------------------------------------------------------------------------------------------
 * DROP EXTENSION */

static bool
table_has_rows(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, nullptr);
	TupleTableSlot *slot = table_slot_create(rel, nullptr);
	bool		found = table_scan_getnextslot(scan, ForwardScanDirection, slot);

	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

void
check_history_drop(Oid relid)
{
	const char *name;
	const char *db;

	if (get_rel_namespace(relid) != guard_schema_oid() || !OidIsValid(relid))
		return;
	name = get_rel_name(relid);
	if (name == nullptr || strcmp(name, "audit_log") != 0)
		return;
	db = nonnull(get_database_name(MyDatabaseId));
	if (!guc_drop_confirm)
	{
		if (!table_has_rows(relid))
			return;
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("dropping pg_agentguard would erase the audit history of database \"%s\"", db),
				 errdetail("agentguard.audit_log has rows; dropping the extension deletes them with every request and token."),
				 errhint("Keep a copy first (pg_dump --table='agentguard.*' or COPY agentguard.audit_log TO ...), then run SET agentguard.drop_confirm = on; and drop again.")));
	}
	ereport(LOG,
			(errmsg("pg_agentguard: the audit history of database \"%s\" is dropped by %s with agentguard.drop_confirm = on",
					db, nonnull(GetUserNameFromId(GetSessionUserId(), true))),
			 errhidestmt(true)));
}

/* ---------------------------------------------------------------------------------------------------
 * Lookups */

int64
token_request_id(int64 token_id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(token_id)};
	volatile int64 request_id = 0;
	OwnerSql	os;

	volatile bool pushed = false;

	if (token_id <= 0 || !OidIsValid(extension_owner()))
		return 0;
	/* Called where a statement ends, possibly after its snapshot was released. */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	owner_sql_begin(&os);
	PG_TRY();
	{
		bool		isnull = true;

		if (SPI_execute_with_args("SELECT request_id FROM agentguard.token_store WHERE id OPERATOR(pg_catalog.=) $1",
								  1, types, args, nullptr, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				request_id = DatumGetInt64(d);
		}
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
	if (pushed)
		PopActiveSnapshot();
	return request_id;
}

}  // namespace agentguard
