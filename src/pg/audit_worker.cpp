/*
 * audit_worker.cpp — the background workers that turn queued audit records into rows of
 * agentguard.audit_log and agentguard.requests, in transactions of their own (SPEC §6).
 *
 * A background worker is connected to one database for its life, and rows must be written in the
 * database where the statement ran. So:
 *  - the launcher (static worker, registered in _PG_init, restarted 2 s after a failure) is connected to
 *    no database; it watches the queue for databases with ready records and no writer, and starts one
 *    dynamic writer per such database (database OID in bgw_main_arg). A database that no longer exists
 *    or refuses connections cannot be served: its records are discarded and counted (the server-log line
 *    of each event is then the record).
 *  - a writer connects to its database as the bootstrap superuser (agents cannot signal it:
 *    pg_signal_backend does not reach superuser processes), attaches to the queue, and loops: take a
 *    batch of records, insert them in one transaction, mark them done. It exits after a minute of
 *    idleness; the launcher starts a new one when records arrive.
 *
 * Safety of the writes. The writer runs with search_path = pg_catalog, pg_temp and names every object
 * with its schema. Before each batch it checks that audit_log and requests are plain tables without
 * rules and without user triggers (the foreign key of token_store puts internal triggers on requests,
 * which fire on UPDATE/DELETE only); if someone planted one, it refuses to write (WARNING, counted as
 * write failures) rather than run foreign code as superuser. The extension missing in the database:
 * records are discarded and counted.
 *
 * Error boundaries. Each batch runs in PG_TRY; on an error the transaction is aborted and the records
 * are retried one per transaction, so one bad record is logged and skipped instead of killing the
 * worker. C++ (decoding the records) runs only through ag_cpp_call() and hands back palloc'd plain
 * structs; no C++ object is alive while PostgreSQL is called.
 *
 * Shutdown. SIGTERM sets a flag. The writer keeps draining until its database's queue is empty and no
 * client backend is connected to the database any more (a fast shutdown terminates them at the same
 * time, and one of them may still queue an event while it goes), at most AG_DRAIN_MS; so queued events
 * are in the table after a restart. SIGHUP reloads the configuration. Events queued while no writer
 * runs stay in the queue until the next writer; a crash of any backend reinitializes shared memory,
 * and the events then in the queue survive only as their server-log lines.
 */
#include "pg/pg_headers.hpp"

extern "C" {
PGDLLEXPORT void ag_audit_launcher_main(Datum arg);
PGDLLEXPORT void ag_audit_writer_main(Datum arg);
}

#include <cstring>

#include "core/record.hpp"
#include "pg/audit_queue.hpp"
#include "pg/audit_worker.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"

namespace agentguard {

#define AG_LIBRARY "pg_agentguard"
#define AG_BATCH_MAX 512
#define AG_WRITER_BUF (2 * AG_QUEUE_MAX_ENTRY)
#define AG_WRITER_IDLE_MS 60000
#define AG_DRAIN_MS 5000
#define AG_LAUNCHER_MAX_DBS 16

/* ---------------------------------------------------------------------------------------------------
 * Registration */

void
audit_worker_register(void)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = 2;
	snprintf(w.bgw_library_name, BGW_MAXLEN, AG_LIBRARY);
	snprintf(w.bgw_function_name, BGW_MAXLEN, "ag_audit_launcher_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "pg_agentguard audit launcher");
	snprintf(w.bgw_type, BGW_MAXLEN, "pg_agentguard audit launcher");
	w.bgw_main_arg = (Datum) 0;
	w.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&w);
}

/* ---------------------------------------------------------------------------------------------------
 * Launcher */

struct LauncherDb
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;
};

static LauncherDb launcher_dbs[AG_LAUNCHER_MAX_DBS];

static void
launcher_on_exit(int code, Datum arg)
{
	(void) code;
	(void) arg;
	audit_queue_set_launcher(false);
}

/* True when the database exists and accepts connections (pg_database is shared: readable without a
 * database connection). */
static bool
database_servable(Oid dboid)
{
	HeapTuple	tup;
	bool		ok = false;

	StartTransactionCommand();
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (HeapTupleIsValid(tup))
	{
		ok = ((Form_pg_database) GETSTRUCT(tup))->datallowconn;
		ReleaseSysCache(tup);
	}
	CommitTransactionCommand();
	return ok;
}

static bool
start_writer(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* The launcher restarts writers on demand, with the database they are needed for. */
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, AG_LIBRARY);
	snprintf(w.bgw_function_name, BGW_MAXLEN, "ag_audit_writer_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "pg_agentguard audit writer for database %u", dboid);
	snprintf(w.bgw_type, BGW_MAXLEN, "pg_agentguard audit writer");
	w.bgw_main_arg = ObjectIdGetDatum(dboid);
	w.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&w, handle);
}

static void
launcher_round(void)
{
	Oid			orphans[AG_LAUNCHER_MAX_DBS];
	int			n = audit_queue_orphan_databases(orphans, AG_LAUNCHER_MAX_DBS);

	/* Forget writers that have stopped. */
	for (int i = 0; i < AG_LAUNCHER_MAX_DBS; i++)
	{
		pid_t		pid;

		if (launcher_dbs[i].handle != nullptr &&
			GetBackgroundWorkerPid(launcher_dbs[i].handle, &pid) == BGWH_STOPPED)
		{
			pfree(launcher_dbs[i].handle);
			launcher_dbs[i].handle = nullptr;
			launcher_dbs[i].dboid = InvalidOid;
		}
	}

	for (int k = 0; k < n; k++)
	{
		Oid			dboid = orphans[k];
		int			slot = -1;
		BackgroundWorkerHandle *handle = nullptr;
		MemoryContext old;
		bool		started;

		for (int i = 0; i < AG_LAUNCHER_MAX_DBS; i++)
			if (launcher_dbs[i].handle != nullptr && launcher_dbs[i].dboid == dboid)
				slot = i;
		if (slot >= 0)
			continue;			/* its writer is starting (or just leaving): wait for it */

		if (!database_servable(dboid))
		{
			uint64		dropped = audit_queue_discard_database(dboid);

			ereport(LOG,
					(errmsg("pg_agentguard: discarded %llu audit records of database %u, which no longer exists or refuses connections",
							(unsigned long long) dropped, dboid),
					 errdetail("The server log holds a line for each of those events.")));
			continue;
		}
		for (int i = 0; i < AG_LAUNCHER_MAX_DBS && slot < 0; i++)
			if (launcher_dbs[i].handle == nullptr)
				slot = i;
		if (slot < 0)
			break;				/* as many writers as we track: the others wait for one to leave */

		old = MemoryContextSwitchTo(TopMemoryContext);
		started = start_writer(dboid, &handle);
		MemoryContextSwitchTo(old);
		if (!started)
		{
			ereport(LOG,
					(errmsg("pg_agentguard: could not start an audit writer for database %u", dboid),
					 errhint("Raise max_worker_processes; the records wait in the queue meanwhile.")));
			break;
		}
		launcher_dbs[slot].dboid = dboid;
		launcher_dbs[slot].handle = handle;
	}
}

static void
launcher_main(Datum arg)
{
	(void) arg;
	/* die: a SIGTERM ends the launcher at its next CHECK_FOR_INTERRUPTS with exit code 1, so the
	 * postmaster starts it again unless the server is shutting down. It holds no records itself. */
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
	pgstat_report_appname("pg_agentguard audit launcher");

	if (!audit_queue_ready())
		proc_exit(0);
	audit_queue_set_launcher(true);
	before_shmem_exit(launcher_on_exit, (Datum) 0);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		launcher_round();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------------------------------------------------------------------------------------------------
 * Writer: decoding */

/* One decoded record in plain palloc'd memory (built by the C++ side, used by the PostgreSQL side). */
struct PlainRecord
{
	bool		ok;
	Oid			login_role_oid;
	int64		logged_at;
	int32		backend_pid;
	int			decision;
	bool		approvable;
	int64		rows_affected;
	int64		request_id;
	int64		token_id;
	uint8		statement_hash[32];
	char	   *database;
	char	   *login_role;
	char	   *session_role;
	char	   *current_role;
	char	   *application_name;
	char	   *client_addr;
	char	   *command;
	char	   *statement;
	char	   *reason;
	char	   *notify_payload;
	int			nobjects;
	char	  **objects;
	int			noids;
	Oid		   *oids;
};

static char *
dup_nothrow(const std::string &s, bool *ok)
{
	char	   *p = ag_pstrdup_nothrow(s);

	if (p == nullptr)
		*ok = false;
	return p;
}

static void *
alloc_nothrow(Size n, bool *ok)
{
	void	   *p = MemoryContextAllocExtended(CurrentMemoryContext, n == 0 ? 1 : n, MCXT_ALLOC_NO_OOM);

	if (p == nullptr)
		*ok = false;
	return p;
}

/* Decodes n taken entries into palloc'd PlainRecords (in CurrentMemoryContext). */
static PlainRecord *
decode_batch(const QueueTaken *taken, int n)
{
	PlainRecord *recs = static_cast<PlainRecord *>(palloc0(sizeof(PlainRecord) * n));

	ag_cpp_call("decoding audit records", [&]() {
		for (int i = 0; i < n; i++)
		{
			PlainRecord *p = &recs[i];
			AuditRecord r;
			bool		ok = true;

			p->ok = false;
			try
			{
				if (!deserialize_record(taken[i].data, taken[i].len, &r))
					continue;
				p->login_role_oid = r.login_role_oid;
				p->logged_at = r.logged_at;
				p->backend_pid = r.backend_pid;
				p->decision = r.decision;
				p->approvable = r.approvable;
				p->rows_affected = r.rows_affected;
				p->request_id = r.request_id;
				p->token_id = r.token_id;
				if (r.has_statement_hash)
					std::memcpy(p->statement_hash, r.statement_hash, 32);
				p->database = dup_nothrow(r.database, &ok);
				p->login_role = dup_nothrow(r.login_role, &ok);
				p->session_role = dup_nothrow(r.session_role, &ok);
				p->current_role = dup_nothrow(r.current_role, &ok);
				p->application_name = dup_nothrow(r.application_name, &ok);
				p->client_addr = dup_nothrow(r.client_addr, &ok);
				p->command = dup_nothrow(r.command, &ok);
				p->statement = dup_nothrow(r.statement, &ok);
				p->reason = dup_nothrow(r.reason, &ok);
				p->notify_payload = dup_nothrow(r.notify_payload, &ok);
				p->nobjects = static_cast<int>(r.objects.size());
				p->objects = static_cast<char **>(alloc_nothrow(sizeof(char *) * r.objects.size(), &ok));
				for (size_t k = 0; ok && k < r.objects.size(); k++)
					p->objects[k] = dup_nothrow(r.objects[k], &ok);
				p->noids = static_cast<int>(r.object_oids.size());
				p->oids = static_cast<Oid *>(alloc_nothrow(sizeof(Oid) * r.object_oids.size(), &ok));
				for (size_t k = 0; ok && k < r.object_oids.size(); k++)
					p->oids[k] = r.object_oids[k];
				p->ok = ok;
			}
			catch (...)
			{
				p->ok = false;
			}
		}
	});
	return recs;
}

/* ---------------------------------------------------------------------------------------------------
 * Writer: SQL */

static SPIPlanPtr audit_plan = nullptr;
static SPIPlanPtr request_plan = nullptr;

static const char *const kAuditInsert =
	"INSERT INTO agentguard.audit_log (logged_at, database, session_role, \"current_role\", "
	"application_name, client_addr, backend_pid, command, statement, objects, decision, reason, "
	"rows_affected, request_id, token_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
static Oid	kAuditTypes[15] = {TIMESTAMPTZOID, NAMEOID, NAMEOID, NAMEOID, TEXTOID, INETOID, INT4OID,
	TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID};

static const char *const kRequestInsert =
	"INSERT INTO agentguard.requests (id, requested_at, agent, agent_oid, database_oid, command, "
	"statement, statement_hash, objects, object_oids, reason, status) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')";
static Oid	kRequestTypes[11] = {INT8OID, TIMESTAMPTZOID, NAMEOID, OIDOID, OIDOID, TEXTOID, TEXTOID,
	BYTEAOID, TEXTARRAYOID, OIDARRAYOID, TEXTOID};

static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == nullptr)
		elog(ERROR, "pg_agentguard: could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_agentguard: could not keep the plan of \"%s\"", sql);
	return plan;
}

/* NULL when the table is safe to write; otherwise why not. The lock is kept until commit. */
static const char *
table_refusal(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);
	Relation	rel;
	const char *why = nullptr;

	if (!OidIsValid(relid))
		return "it does not exist";
	rel = table_open(relid, RowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		why = "it is not a plain table";
	else if (rel->rd_rel->relhasrules || rel->rd_rules != nullptr)
		why = "it has rules";
	else if (rel->trigdesc != nullptr)
	{
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
			if (!rel->trigdesc->triggers[i].tgisinternal)
				why = "it has triggers";
	}
	table_close(rel, NoLock);
	return why;
}

static Datum
text_array(char **items, int n)
{
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
oid_array(const Oid *oids, int n)
{
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));

	for (int i = 0; i < n; i++)
		d[i] = ObjectIdGetDatum(oids[i]);
	return PointerGetDatum(construct_array(d, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

static const char *
decision_text(int decision)
{
	switch (decision)
	{
		case 1:
			return "approved";
		case 2:
			return "warned";
		case 3:
			return "breaker";
		case 4:
			return "previewed";
		default:
			return "blocked";
	}
}

static void
insert_record(const PlainRecord *r)
{
	Datum		v[15];
	char		nulls[15];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	v[0] = TimestampTzGetDatum(r->logged_at);
	v[1] = DirectFunctionCall1(namein, CStringGetDatum(r->database));
	v[2] = DirectFunctionCall1(namein, CStringGetDatum(r->session_role));
	v[3] = DirectFunctionCall1(namein, CStringGetDatum(r->current_role));
	v[4] = CStringGetTextDatum(r->application_name);
	if (r->client_addr[0] != '\0')
		v[5] = DirectFunctionCall1(inet_in, CStringGetDatum(r->client_addr));
	else
	{
		v[5] = (Datum) 0;
		nulls[5] = 'n';
	}
	v[6] = Int32GetDatum(r->backend_pid);
	v[7] = CStringGetTextDatum(r->command);
	v[8] = CStringGetTextDatum(r->statement);
	v[9] = text_array(r->objects, r->nobjects);
	v[10] = CStringGetTextDatum(decision_text(r->decision));
	v[11] = CStringGetTextDatum(r->reason);
	v[12] = Int64GetDatum(r->rows_affected);
	if (r->rows_affected < 0)
		nulls[12] = 'n';
	v[13] = Int64GetDatum(r->request_id);
	if (r->request_id <= 0)
		nulls[13] = 'n';
	v[14] = Int64GetDatum(r->token_id);
	if (r->token_id <= 0)
		nulls[14] = 'n';
	rc = SPI_execute_plan(audit_plan, v, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pg_agentguard: inserting into agentguard.audit_log failed: %s", SPI_result_code_string(rc));

	/* A tripped circuit breaker is announced; queued in this transaction like a request's NOTIFY. */
	if (r->decision == 3 && r->notify_payload[0] != '\0')
		Async_Notify("agentguard", r->notify_payload);

	/* A blocked, approvable statement with a reserved id gets its pending request, and a NOTIFY. */
	if (r->decision != 0 || !r->approvable || r->request_id <= 0)
		return;

	Datum		q[11];
	char		qn[11];
	bytea	   *hash = static_cast<bytea *>(palloc(VARHDRSZ + 32));

	memset(qn, ' ', sizeof(qn));
	SET_VARSIZE(hash, VARHDRSZ + 32);
	memcpy(VARDATA(hash), r->statement_hash, 32);
	q[0] = Int64GetDatum(r->request_id);
	q[1] = TimestampTzGetDatum(r->logged_at);
	q[2] = DirectFunctionCall1(namein, CStringGetDatum(r->login_role[0] != '\0' ? r->login_role : r->session_role));
	q[3] = ObjectIdGetDatum(r->login_role_oid);
	q[4] = ObjectIdGetDatum(MyDatabaseId);
	q[5] = CStringGetTextDatum(r->command);
	q[6] = CStringGetTextDatum(r->statement);
	q[7] = PointerGetDatum(hash);
	q[8] = text_array(r->objects, r->nobjects);
	q[9] = oid_array(r->oids, r->noids);
	q[10] = CStringGetTextDatum(r->reason);
	rc = SPI_execute_plan(request_plan, q, qn, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pg_agentguard: inserting into agentguard.requests failed: %s", SPI_result_code_string(rc));
	/* Queued in this transaction: listeners hear it only if the request row commits. */
	if (r->notify_payload[0] != '\0')
		Async_Notify("agentguard", r->notify_payload);
}

struct BatchCounts
{
	uint64		written;
	uint64		discarded;
	uint64		failed;
};

/*
 * Writes the good records of recs in one transaction. Returns false when the transaction failed (the
 * error is logged; nothing of it committed); then *counts is untouched.
 */
static bool
write_batch(PlainRecord *recs, int n, BatchCounts *counts)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool ok = false;
	volatile uint64 written = 0;
	volatile uint64 discarded = 0;
	volatile uint64 failed = 0;

	PG_TRY();
	{
		Oid			nsp;
		const char *why = nullptr;
		const char *table = nullptr;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_agentguard: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "pg_agentguard: writing audit records");

		nsp = OidIsValid(get_extension_oid(AG_EXTENSION, true)) ? get_namespace_oid(AG_SCHEMA, true)
																: InvalidOid;
		if (!OidIsValid(nsp))
		{
			/* No extension here (any more): the server log is the record. */
			for (int i = 0; i < n; i++)
				if (recs[i].ok)
					discarded = discarded + 1;
		}
		else
		{
			table = "agentguard.audit_log";
			why = table_refusal(nsp, "audit_log");
			if (why == nullptr)
			{
				table = "agentguard.requests";
				why = table_refusal(nsp, "requests");
			}
			if (why != nullptr)
			{
				ereport(WARNING,
						(errmsg("pg_agentguard: refusing to write audit records into %s: %s", table, why),
						 errdetail("%d records were not written; the server log holds a line for each.", n),
						 errhint("Drop the rules and triggers that were added to the tables of schema agentguard.")));
				for (int i = 0; i < n; i++)
					if (recs[i].ok)
						failed = failed + 1;
			}
			else
			{
				if (audit_plan == nullptr)
					audit_plan = keep_plan(kAuditInsert, 15, kAuditTypes);
				if (request_plan == nullptr)
					request_plan = keep_plan(kRequestInsert, 11, kRequestTypes);
				for (int i = 0; i < n; i++)
				{
					if (!recs[i].ok)
						continue;
					insert_record(&recs[i]);
					written = written + 1;
				}
			}
		}

		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, nullptr);
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, nullptr);
		ereport(n == 1 ? WARNING : LOG,
				(errmsg("pg_agentguard: writing %d audit record%s failed: %s", n, n == 1 ? "" : "s",
						edata->message),
				 n == 1 ? errdetail("The record is skipped; the server log holds a line for its event.")
						: errdetail("The records are written again one by one.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(caller);
	if (ok)
	{
		counts->written += written;
		counts->discarded += discarded;
		counts->failed += failed;
	}
	return ok;
}

/* ---------------------------------------------------------------------------------------------------
 * Writer: main loop */

static void
writer_on_exit(int code, Datum arg)
{
	(void) arg;
	if (code != 0)
		audit_queue_count_restart();
	audit_queue_detach_writer();
}

static void
process_batch(const QueueTaken *taken, int n, MemoryContext batch_cxt)
{
	MemoryContext old = MemoryContextSwitchTo(batch_cxt);
	PlainRecord *recs = decode_batch(taken, n);
	BatchCounts counts = {0, 0, 0};

	for (int i = 0; i < n; i++)
		if (!recs[i].ok)
		{
			counts.failed++;
			ereport(WARNING,
					(errmsg("pg_agentguard: skipping a corrupt audit record of %u bytes", taken[i].len)));
		}

	if (!write_batch(recs, n, &counts))
	{
		/* Isolate the record that failed: each good one alone. */
		for (int i = 0; i < n; i++)
		{
			if (!recs[i].ok)
				continue;
			if (!write_batch(&recs[i], 1, &counts))
				counts.failed++;
		}
	}
	MemoryContextSwitchTo(old);
	audit_queue_finish(taken, n, counts.written, counts.discarded, counts.failed);
	MemoryContextReset(batch_cxt);
}

static void
writer_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	char	   *buf;
	QueueTaken *taken;
	MemoryContext batch_cxt;
	TimestampTz idle_since;
	TimestampTz drain_deadline = 0;

	/* SIGTERM only sets a flag: the loop below drains the queue before leaving. */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("pg_agentguard audit writer");
	/* Nothing the writer runs may resolve a name through a schema someone else controls. */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	if (!audit_queue_attach_writer(dboid))
		proc_exit(0);			/* another writer serves this database */
	before_shmem_exit(writer_on_exit, (Datum) 0);

	buf = static_cast<char *>(MemoryContextAlloc(TopMemoryContext, AG_WRITER_BUF));
	taken = static_cast<QueueTaken *>(MemoryContextAlloc(TopMemoryContext, sizeof(QueueTaken) * AG_BATCH_MAX));
	batch_cxt = AllocSetContextCreate(TopMemoryContext, "pg_agentguard audit batch", ALLOCSET_DEFAULT_SIZES);
	idle_since = GetCurrentTimestamp();

	for (;;)
	{
		int			n;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		n = audit_queue_take(buf, AG_WRITER_BUF, taken, AG_BATCH_MAX);
		if (n > 0)
		{
			process_batch(taken, n, batch_cxt);
			idle_since = GetCurrentTimestamp();
			continue;
		}

		if (ShutdownRequestPending)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (drain_deadline == 0)
				drain_deadline = TimestampTzPlusMilliseconds(now, AG_DRAIN_MS);
			/* Client backends of this database may still queue an event while they terminate. */
			if ((CountDBConnections(dboid) == 0 || now >= drain_deadline) && audit_queue_detach_if_idle())
				proc_exit(0);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 20L,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}

		if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), AG_WRITER_IDLE_MS) &&
			audit_queue_detach_if_idle())
			proc_exit(0);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

}  // namespace agentguard

/* Entry points named in the BackgroundWorker structs (looked up by name in the library). */
extern "C" void
ag_audit_launcher_main(Datum arg)
{
	agentguard::launcher_main(arg);
}

extern "C" void
ag_audit_writer_main(Datum arg)
{
	agentguard::writer_main(arg);
}
