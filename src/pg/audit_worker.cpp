/*
 * audit_worker.cpp — the background workers that turn queued audit records into rows of
 * agentguard.audit_log and agentguard.requests, in transactions of their own (SPEC §6).
 *
 * Where the records live: in each database's own tables. A home database for the whole cluster (the
 * pg_cron model) was weighed and rejected:
 *  - each database's pg_dump keeps its own history, requests and tokens;
 *  - a token's use must be consumed in the same transaction as the statement that uses it (SPEC §5: a
 *    use counts only when its transaction commits); a token store in another database cannot give that
 *    atomically, and mirroring it into shared memory would be state to keep consistent across crashes;
 *  - no single database whose loss, rename or unavailability stops the guard's records everywhere.
 * The cost is that a writer must connect to each database that has records; the lifecycle below keeps
 * that cost small and out of the DBA's way.
 *
 * What runs:
 *  - the launcher (static worker, registered in _PG_init, restarted 2 s after a failure), connected to
 *    no database. It scans the queue for databases with ready records and no writer, oldest record
 *    first, and starts a dynamic writer for each while one of the agentguard.max_writers slots is free
 *    (slot index in bgw_main_arg, database OID in bgw_extra). So the guard holds at most max_writers + 1
 *    of max_worker_processes, whatever the number of databases. A database that no longer exists is
 *    not served: its records are discarded, logged and counted (the server log holds a line for each of
 *    its events). A writer that fails to start is retried with a growing delay, never in a loop.
 *  - a writer connects to its database as the bootstrap superuser (agents cannot signal it:
 *    pg_signal_backend does not reach superuser processes), with BGWORKER_BYPASS_ALLOWCONN, and pins at
 *    session level what a database or role setting could use to stop it: default_transaction_read_only
 *    off, statement_timeout and idle timeouts 0, search_path pg_catalog, a short lock_timeout. It loops:
 *    take a batch of its database's records, insert them in one transaction (audit_write.cpp), mark them
 *    done. It leaves — detaching from its slot under the queue lock, so no producer counts on it — as soon
 *    as its database has had nothing ready for AG_WRITER_IDLE_MS, at once when its queue is empty and
 *    another database is waiting, after AG_WRITER_QUANTUM_MS of service when another database waits and
 *    no slot is free (fairness), and at once when a DBA operation asks it to.
 *
 * Interrupts. Every loop of both workers runs CHECK_FOR_INTERRUPTS() and waits on its latch for at most
 * a second, so ProcSignal barriers (DROP DATABASE, ALTER DATABASE … SET TABLESPACE) are absorbed at once.
 *
 * DBA operations win. Before DROP DATABASE, ALTER DATABASE (rename, options, tablespace) and CREATE
 * DATABASE … TEMPLATE, by anyone, the utility hook calls audit_before_database_ddl() (audit_queue.cpp):
 * it holds the database off the writers for a few seconds, sets the writer's leave flag, sets its latch
 * and waits (at most ~1.5 s) until it has detached; a writer waiting for a lock gives up within
 * lock_timeout. The operation then finds no writer in its way. Records queued meanwhile wait; if the
 * database was dropped they are discarded, logged and counted.
 *
 * Nothing lost, nothing looping. A batch that fails is retried record by record; a record that fails for
 * a reason that will not go away (bad data, a constraint, a broken table definition) is logged with its
 * content and counted as a write failure. Any other failure (a lock timeout because a human holds a lock
 * on the table, a read-only or resource error) leaves the records queued, and the writer retries with a
 * backoff of up to AG_BACKOFF_MAX_MS. Tables on which someone planted rules or triggers are refused
 * (WARNING, counted): the writer never runs foreign code as superuser.
 *
 * Shutdown. SIGTERM sets a flag. The writer keeps draining until its database's queue is empty and no
 * client backend is connected to the database any more (a fast shutdown terminates them at the same
 * time, and one of them may still queue an event while it goes), at most AG_DRAIN_MS; so queued events
 * are in the table after a restart. SIGHUP reloads the configuration. A crash of any backend
 * reinitializes shared memory, and the events then in the queue survive only as their server-log lines.
 */
#include "pg/pg_headers.hpp"

extern "C" {
PGDLLEXPORT void ag_audit_launcher_main(Datum arg);
PGDLLEXPORT void ag_audit_writer_main(Datum arg);
}

#include <cstring>

#include "pg/audit_queue.hpp"
#include "pg/audit_worker.hpp"
#include "pg/audit_write.hpp"
#include "pg/pg_guard.hpp"
#include "pg/request_ids.hpp"

namespace agentguard {

#define AG_LIBRARY "pg_agentguard"
#define AG_BATCH_MAX 512
#define AG_WRITER_BUF (2 * AG_QUEUE_MAX_ENTRY)
#define AG_WRITER_IDLE_MS 1000
#define AG_WRITER_QUANTUM_MS 250
#define AG_DRAIN_MS 5000
#define AG_BACKOFF_MIN_MS 50
#define AG_BACKOFF_MAX_MS 2000
#define AG_LOCK_TIMEOUT "500ms"
#define AG_LAUNCHER_SCAN 64
#define AG_START_RETRY_MS 2000
#define AG_START_RETRY_MAX_MS 60000

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

struct LauncherSlot
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;
};

/* A database whose writer failed to start: not tried again before retry_at. */
struct StartFailure
{
	Oid			dboid;
	int			delay_ms;
	TimestampTz retry_at;
};

static LauncherSlot *launcher_slots = nullptr;
static int	launcher_nslots = 0;
static StartFailure start_failures[AG_LAUNCHER_SCAN];

static void
launcher_on_exit(int code, Datum arg)
{
	(void) code;
	(void) arg;
	audit_queue_set_launcher(false);
}

/* True when the database exists (pg_database is shared: readable without a database connection). */
static bool
database_exists(Oid dboid)
{
	HeapTuple	tup;
	bool		ok = false;

	StartTransactionCommand();
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (HeapTupleIsValid(tup))
	{
		ok = true;
		ReleaseSysCache(tup);
	}
	CommitTransactionCommand();
	return ok;
}

static StartFailure *
start_failure(Oid dboid, bool create)
{
	StartFailure *free_entry = nullptr;

	for (int i = 0; i < AG_LAUNCHER_SCAN; i++)
	{
		if (start_failures[i].dboid == dboid)
			return &start_failures[i];
		if (free_entry == nullptr && start_failures[i].dboid == InvalidOid)
			free_entry = &start_failures[i];
	}
	if (create && free_entry == nullptr)
		free_entry = &start_failures[dboid % AG_LAUNCHER_SCAN];
	if (create)
	{
		free_entry->dboid = dboid;
		free_entry->delay_ms = 0;
		free_entry->retry_at = 0;
	}
	return create ? free_entry : nullptr;
}

static void
note_start_failure(Oid dboid)
{
	StartFailure *f = start_failure(dboid, true);

	f->delay_ms = f->delay_ms == 0 ? AG_START_RETRY_MS : Min(f->delay_ms * 2, AG_START_RETRY_MAX_MS);
	f->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), f->delay_ms);
	ereport(LOG,
			(errmsg("pg_agentguard: the audit writer for database %u stopped before it could start; retrying in %d ms",
					dboid, f->delay_ms),
			 errdetail("Its records stay queued meanwhile.")));
}

static bool
start_writer(int slot, Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* The launcher starts writers on demand, with the database they are needed for. */
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, AG_LIBRARY);
	snprintf(w.bgw_function_name, BGW_MAXLEN, "ag_audit_writer_main");
	/* The process title names the database (pg_database is shared: readable without a connection). */
	StartTransactionCommand();
	{
		char	   *dbname = get_database_name(dboid);

		if (dbname != nullptr)
			snprintf(w.bgw_name, BGW_MAXLEN, "pg_agentguard audit writer for database %s", dbname);
		else
			snprintf(w.bgw_name, BGW_MAXLEN, "pg_agentguard audit writer for database %u", dboid);
	}
	CommitTransactionCommand();
	snprintf(w.bgw_type, BGW_MAXLEN, "pg_agentguard audit writer");
	w.bgw_main_arg = Int32GetDatum(slot);
	memcpy(w.bgw_extra, &dboid, sizeof(dboid));
	w.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&w, handle);
}

static void
launcher_round(void)
{
	Oid			orphans[AG_LAUNCHER_SCAN];
	int			n;
	TimestampTz now = GetCurrentTimestamp();

	/* Forget writers that have stopped. */
	for (int i = 0; i < launcher_nslots; i++)
	{
		pid_t		pid;

		if (launcher_slots[i].handle != nullptr &&
			GetBackgroundWorkerPid(launcher_slots[i].handle, &pid) == BGWH_STOPPED)
		{
			if (audit_queue_slot_stopped(i) && database_exists(launcher_slots[i].dboid))
				note_start_failure(launcher_slots[i].dboid);
			pfree(launcher_slots[i].handle);
			launcher_slots[i].handle = nullptr;
			launcher_slots[i].dboid = InvalidOid;
		}
	}

	n = audit_queue_orphan_databases(orphans, AG_LAUNCHER_SCAN);
	for (int k = 0; k < n; k++)
	{
		Oid			dboid = orphans[k];
		int			slot = -1;
		BackgroundWorkerHandle *handle = nullptr;
		MemoryContext old;
		bool		started;
		StartFailure *f = start_failure(dboid, false);

		if (f != nullptr && f->retry_at > now)
			continue;
		if (!database_exists(dboid))
		{
			uint64		dropped = audit_queue_discard_database(dboid);

			if (f != nullptr)
				f->dboid = InvalidOid;
			ereport(LOG,
					(errmsg("pg_agentguard: discarded %llu audit records of database %u, which no longer exists",
							(unsigned long long) dropped, dboid),
					 errdetail("The server log holds a line for each of those events; agentguard.queue_stats() counts them as discarded.")));
			continue;
		}
		for (int i = 0; i < launcher_nslots && slot < 0; i++)
			if (launcher_slots[i].handle == nullptr && audit_queue_reserve_slot(i, dboid))
				slot = i;
		if (slot < 0)
			break;				/* every slot busy: the others wait for a writer to leave */

		old = MemoryContextSwitchTo(TopMemoryContext);
		started = start_writer(slot, dboid, &handle);
		MemoryContextSwitchTo(old);
		if (!started)
		{
			(void) audit_queue_slot_stopped(slot);
			ereport(LOG,
					(errmsg("pg_agentguard: could not start an audit writer for database %u", dboid),
					 errhint("Raise max_worker_processes; the records wait in the queue meanwhile.")));
			break;
		}
		launcher_slots[slot].dboid = dboid;
		launcher_slots[slot].handle = handle;
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
	launcher_nslots = audit_queue_writer_slots();
	launcher_slots = static_cast<LauncherSlot *>(MemoryContextAllocZero(TopMemoryContext,
																		sizeof(LauncherSlot) * launcher_nslots));
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
 * Writer */

/* A failure that retrying will not cure: the record is logged and skipped. */
static bool
permanent_failure(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_DATA_EXCEPTION:
		case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
		case ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION:
		case ERRCODE_INTERNAL_ERROR:
			return true;
		default:
			return false;
	}
}

/*
 * Writes recs in one transaction. True when it committed (*counts updated). Otherwise nothing of it
 * committed and *sqlerrcode says why (the error is logged when log_it).
 */
static bool
write_transaction(PlainRecord *recs, int n, WriteCounts *counts, int *sqlerrcode, bool log_it,
				  bool repair = false)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool ok = false;
	WriteCounts local = {0, 0, 0};

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_agentguard: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "pg_agentguard: writing audit records");
		if (repair)
			audit_repair_identity();
		audit_insert_records(recs, n, &local);
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
		*sqlerrcode = edata->sqlerrcode;
		if (log_it)
			ereport(LOG,
					(errmsg("pg_agentguard: writing %d audit record%s failed: %s", n, n == 1 ? "" : "s",
							edata->message),
					 errdetail("The records stay queued and are written again.")));
		FreeErrorData(edata);
		/* A cancel (a DBA asking the writer to leave) is handled; nothing of it must linger. */
		QueryCancelPending = false;
	}
	PG_END_TRY();

	MemoryContextSwitchTo(caller);
	if (ok)
	{
		counts->written += local.written;
		counts->discarded += local.discarded;
		counts->failed += local.failed;
	}
	return ok;
}

static int	backoff_ms = 0;			/* > 0 while writes fail for a passing reason */
static int	failed_attempts = 0;

/*
 * Writes one taken batch. Entries end DONE (written, discarded, or skipped for good) or, on a passing
 * failure, READY again; then backoff_ms > 0.
 */
static void
process_batch(const QueueTaken *taken, int n, MemoryContext batch_cxt)
{
	MemoryContext old = MemoryContextSwitchTo(batch_cxt);
	PlainRecord *recs = audit_decode(taken, n);
	WriteCounts counts = {0, 0, 0};
	int			code = 0;
	int			done = n;

	for (int i = 0; i < n; i++)
		if (!recs[i].ok)
		{
			counts.failed++;
			ereport(WARNING,
					(errmsg("pg_agentguard: skipping a corrupt audit record of %u bytes", taken[i].len)));
		}

	if (!write_transaction(recs, n, &counts, &code, failed_attempts == 0 && n == 1) &&
		(code != ERRCODE_UNIQUE_VIOLATION || !write_transaction(recs, n, &counts, &code, false, true)))
	{
		if (n > 1 && permanent_failure(code))
		{
			/* Isolate the record that fails: each one alone. */
			for (int i = 0; i < n; i++)
			{
				if (!recs[i].ok)
					continue;
				if (write_transaction(&recs[i], 1, &counts, &code, false))
					continue;
				if (!permanent_failure(code))
				{
					done = i;	/* entries from i on go back to the queue */
					break;
				}
				counts.failed++;
				ereport(WARNING,
						(errmsg("pg_agentguard: an audit record cannot be written and is skipped (SQLSTATE %s)",
								unpack_sql_state(code)),
						 errdetail("Statement of %s by %s at %s: %s", recs[i].command, recs[i].session_role,
								   timestamptz_to_str(recs[i].logged_at), recs[i].statement)));
			}
		}
		else if (n == 1 && permanent_failure(code))
		{
			counts.failed++;
			ereport(WARNING,
					(errmsg("pg_agentguard: an audit record cannot be written and is skipped (SQLSTATE %s)",
							unpack_sql_state(code)),
					 errdetail("Statement of %s by %s at %s: %s", recs[0].command, recs[0].session_role,
							   timestamptz_to_str(recs[0].logged_at), recs[0].statement)));
		}
		else
			done = 0;
	}
	MemoryContextSwitchTo(old);

	if (done > 0)
		audit_queue_finish(taken, done, counts.written, counts.discarded, counts.failed);
	if (done < n)
	{
		if (failed_attempts == 0)
			ereport(LOG,
					(errmsg("pg_agentguard: writing audit records failed (SQLSTATE %s); they stay queued and are retried",
							unpack_sql_state(code))));
		audit_queue_requeue(taken + done, n - done, true);
		failed_attempts++;
		backoff_ms = backoff_ms == 0 ? AG_BACKOFF_MIN_MS : Min(backoff_ms * 2, AG_BACKOFF_MAX_MS);
	}
	else
	{
		if (failed_attempts > 0)
			ereport(LOG,
					(errmsg("pg_agentguard: audit records written again after %d failed attempts", failed_attempts)));
		failed_attempts = 0;
		backoff_ms = 0;
	}
	MemoryContextReset(batch_cxt);
}

static void
writer_on_exit(int code, Datum arg)
{
	(void) arg;
	if (code != 0)
		audit_queue_count_restart();
	audit_queue_detach_writer();
}

/* Session settings that a database or role setting must not use to stop the writer. */
static void
pin_writer_settings(void)
{
	static const char *const settings[][2] = {
		{"search_path", "pg_catalog, pg_temp"},
		{"default_transaction_read_only", "off"},
		{"default_transaction_isolation", "read committed"},
		{"statement_timeout", "0"},
		{"lock_timeout", AG_LOCK_TIMEOUT},
		{"idle_in_transaction_session_timeout", "0"},
		{"session_replication_role", "origin"},
		{"synchronous_commit", "local"},
	};

	for (const auto &s : settings)
		SetConfigOption(s[0], s[1], PGC_SUSET, PGC_S_OVERRIDE);
}

/* Raises the request-id floor to the ids stored in this database (after a restore, say). */
static void
raise_id_floor(void)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile int64 stored = 0;

	PG_TRY();
	{
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_agentguard: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		stored = audit_stored_max_request_id();
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		QueryCancelPending = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	request_ids_raise_floor(stored);
}

static void
writer_main(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	Oid			dboid;
	char	   *buf;
	QueueTaken *taken;
	MemoryContext batch_cxt;
	TimestampTz idle_since;
	TimestampTz serving_since;
	TimestampTz drain_deadline = 0;

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(dboid));
	/* SIGTERM only sets a flag: the loop below drains the queue before leaving. */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, BGWORKER_BYPASS_ALLOWCONN);
	pgstat_report_appname("pg_agentguard audit writer");
	pin_writer_settings();

	if (!audit_queue_attach_writer(slot, dboid))
		proc_exit(0);			/* a DBA operation holds the database, or the slot is not ours */
	before_shmem_exit(writer_on_exit, (Datum) 0);

	buf = static_cast<char *>(MemoryContextAlloc(TopMemoryContext, AG_WRITER_BUF));
	taken = static_cast<QueueTaken *>(MemoryContextAlloc(TopMemoryContext, sizeof(QueueTaken) * AG_BATCH_MAX));
	batch_cxt = AllocSetContextCreate(TopMemoryContext, "pg_agentguard audit batch", ALLOCSET_DEFAULT_SIZES);
	raise_id_floor();
	idle_since = serving_since = GetCurrentTimestamp();

	for (;;)
	{
		int			n;
		long		wait_ms = 1000L;

		/* Nothing here runs a statement: a stray cancel must not end the worker. */
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			pin_writer_settings();
		}

		if (ShutdownRequestPending)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (drain_deadline == 0)
				drain_deadline = TimestampTzPlusMilliseconds(now, AG_DRAIN_MS);
			n = audit_queue_take(dboid, buf, AG_WRITER_BUF, taken, AG_BATCH_MAX);
			if (n > 0)
			{
				process_batch(taken, n, batch_cxt);
				if (backoff_ms == 0)
					continue;
			}
			if (now >= drain_deadline)
				proc_exit(0);
			/* Client backends of this database may still queue an event while they terminate. */
			if (n == 0 && CountDBConnections(dboid) == 0 && audit_queue_writer_should_leave(now, now, 0, 0))
				proc_exit(0);
			wait_ms = backoff_ms > 0 ? backoff_ms : 20L;
		}
		else
		{
			n = audit_queue_take(dboid, buf, AG_WRITER_BUF, taken, AG_BATCH_MAX);
			if (n > 0)
			{
				process_batch(taken, n, batch_cxt);
				idle_since = GetCurrentTimestamp();
			}
			if (audit_queue_writer_should_leave(idle_since, serving_since, AG_WRITER_IDLE_MS,
												AG_WRITER_QUANTUM_MS))
				proc_exit(0);
			if (n > 0 && backoff_ms == 0)
				continue;
			if (backoff_ms > 0)
				wait_ms = backoff_ms;
			else
			{
				/* Wake up when the idle time is over, at most a second from now. */
				long		idle = TimestampDifferenceMilliseconds(idle_since, GetCurrentTimestamp());

				wait_ms = Max(10L, Min(1000L, AG_WRITER_IDLE_MS - idle + 1));
			}
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
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
