/*
 * audit_queue.cpp — the shared-memory ring that carries audit records from the backends that intercept
 * statements to the audit worker (SPEC §6), and the counters DBAs read with agentguard.queue_stats().
 *
 * Why a queue: a blocked statement's transaction aborts, so its audit row cannot be written by the
 * blocked backend. The backend serializes the event (core/record.hpp), appends it here, and wakes the
 * writer of its database; the writer inserts the rows in transactions of its own (audit_worker.cpp).
 *
 * Layout. One fixed ring of AG_RING_BYTES in the main shared-memory segment. Entries are variable
 * length, 16-byte aligned, each a header {len, database oid, state} followed by one serialized record.
 * An entry never wraps: when it does not fit before the end of the ring, a WRAP header fills the rest
 * and the entry starts at offset 0. Positions (head, tail) are 64-bit byte counters that only grow; the
 * offset in the ring is position modulo AG_RING_BYTES. Entries of all databases share the ring; each
 * writer serves only its own database and marks entries READY -> TAKEN -> DONE, and the tail advances
 * over DONE entries only. So a database whose writer cannot run holds back the tail: the launcher
 * discards the entries of a database that no writer can serve (dropped, refusing connections).
 *
 * Lock protocol. One LWLock (named tranche "pg_agentguard_queue") protects everything in AgQueueShared:
 * head, tail, entry headers and payloads, writer slots, launcher latch and counters.
 *  - Producers take it exclusively to append one entry (a memcpy of at most 1 MB, usually < 1 KB), then
 *    release it and only then SetLatch the writer (or the launcher when the database has no writer).
 *  - Writers take it exclusively to copy out their READY entries (marking them TAKEN) and again, after
 *    their transaction committed, to mark them DONE and advance the tail; they never hold it while
 *    running SQL. Nothing is allocated while it is held (the copy goes to a buffer the writer owns), so
 *    no ERROR can be raised with it held except by a bug; an ERROR would release it anyway.
 *  - A writer attached for a database is the only consumer of that database's entries; a writer that
 *    exits hands its TAKEN entries back (READY) in a before_shmem_exit callback. A crash of any backend
 *    makes the postmaster reinitialize shared memory: the queue is then lost, and the server-log line
 *    that the event sink writes before every enqueue is the record of those events.
 *  - Producers that find the ring full sleep on space_cv (at most AG_FULL_WAIT_MS in total, waking the
 *    writers meanwhile); writers broadcast it whenever they free space. Then they give up and count an
 *    overflow: the server-log line is the record.
 *  - Counters are only changed and read under the lock.
 */
#include "pg/pg_headers.hpp"

#include <cstring>
#include <new>

#include "core/record.hpp"
#include "pg/audit.hpp"
#include "pg/audit_queue.hpp"
#include "pg/event_sink.hpp"
#include "pg/pg_guard.hpp"

namespace agentguard {

#define AG_RING_BYTES (8 * 1024 * 1024)
#define AG_MAX_WRITERS 16
#define AG_FULL_WAIT_MS 1000
#define AG_TRANCHE "pg_agentguard_queue"

#define AG_ENTRY_WRAP 0xFFFFFFFFu
enum EntryState : uint32
{
	ENTRY_READY = 1,
	ENTRY_TAKEN = 2,
	ENTRY_DONE = 3
};

struct EntryHeader
{
	uint32		len;			/* payload bytes, or AG_ENTRY_WRAP */
	Oid			dboid;
	uint32		state;			/* EntryState */
	uint32		reserved;
};

static_assert(sizeof(EntryHeader) == 16, "entry header is 16 bytes");
static_assert(AG_QUEUE_MAX_ENTRY >= agentguard::kMaxRecordBytes, "a record fits in one entry");
static_assert(AG_RING_BYTES % 16 == 0 && AG_RING_BYTES >= 4 * (AG_QUEUE_MAX_ENTRY + 16),
			  "the ring holds several of the largest entries");

struct WriterSlot
{
	Oid			dboid;			/* InvalidOid: free */
	int			pid;
	Latch	   *latch;
};

struct AgQueueShared
{
	LWLock	   *lock;
	ConditionVariable space_cv;
	Latch	   *launcher_latch;
	int			launcher_pid;
	uint64		head;			/* next write position */
	uint64		tail;			/* oldest entry not yet DONE */
	uint64		pending;		/* entries READY or TAKEN */
	uint64		enqueued;
	uint64		written;
	uint64		overflowed;
	uint64		discarded;
	uint64		write_failures;
	uint64		worker_restarts;
	uint64		launcher_starts;
	WriterSlot	writers[AG_MAX_WRITERS];
	char		ring[FLEXIBLE_ARRAY_MEMBER];
};

static AgQueueShared *queue = nullptr;
static int	my_slot = -1;		/* this process's writer slot */

#if AG_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = nullptr;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

static Size
queue_shmem_size(void)
{
	return add_size(MAXALIGN(offsetof(AgQueueShared, ring)), AG_RING_BYTES);
}

static void
queue_request(void)
{
	RequestAddinShmemSpace(queue_shmem_size());
	RequestNamedLWLockTranche(AG_TRANCHE, 1);
}

#if AG_HAVE_SHMEM_REQUEST_HOOK
static void
queue_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	queue_request();
}
#endif

static void
queue_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	/* After a crash the postmaster calls this again on a fresh segment: never keep the old pointer. */
	queue = nullptr;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	AgQueueShared *q = static_cast<AgQueueShared *>(ShmemInitStruct("pg_agentguard audit queue",
																  queue_shmem_size(), &found));
	if (!found)
	{
		memset(q, 0, offsetof(AgQueueShared, ring));
		q->lock = &(GetNamedLWLockTranche(AG_TRANCHE))->lock;
		ConditionVariableInit(&q->space_cv);
	}
	LWLockRelease(AddinShmemInitLock);
	queue = q;
}

void
audit_queue_init(void)
{
#if AG_HAVE_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = queue_shmem_request;
#else
	queue_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = queue_shmem_startup;
}

bool
audit_queue_ready(void)
{
	return queue != nullptr;
}

/* ---------------------------------------------------------------------------------------------------
 * Ring primitives; every one runs with the lock held. */

static inline uint64
entry_total(uint32 len)
{
	return TYPEALIGN(16, sizeof(EntryHeader) + (uint64) len);
}

static inline EntryHeader *
header_at(uint64 pos)
{
	return reinterpret_cast<EntryHeader *>(queue->ring + (pos % AG_RING_BYTES));
}

/* Position of the entry after the one (or the wrap marker) at pos. */
static inline uint64
next_pos(uint64 pos)
{
	EntryHeader *h = header_at(pos);

	if (h->len == AG_ENTRY_WRAP)
		return pos + (AG_RING_BYTES - pos % AG_RING_BYTES);
	return pos + entry_total(h->len);
}

static Latch *
latch_for_database(Oid dboid)
{
	for (int i = 0; i < AG_MAX_WRITERS; i++)
		if (queue->writers[i].dboid == dboid && queue->writers[i].pid != 0)
			return queue->writers[i].latch;
	return queue->launcher_latch;
}

/* Appends one entry if it fits; returns the latch to set (maybe NULL) through *wake. */
static bool
ring_push(Oid dboid, const char *data, uint32 len, Latch **wake)
{
	uint64		total = entry_total(len);
	uint64		off = queue->head % AG_RING_BYTES;
	uint64		room_to_end = AG_RING_BYTES - off;
	uint64		need = total + (room_to_end < total ? room_to_end : 0);

	if (AG_RING_BYTES - (queue->head - queue->tail) < need)
		return false;
	if (room_to_end < total)
	{
		EntryHeader *w = header_at(queue->head);

		w->len = AG_ENTRY_WRAP;
		w->dboid = InvalidOid;
		w->state = ENTRY_DONE;
		queue->head += room_to_end;
	}
	EntryHeader *h = header_at(queue->head);

	h->len = len;
	h->dboid = dboid;
	h->state = ENTRY_READY;
	h->reserved = 0;
	memcpy(reinterpret_cast<char *>(h) + sizeof(EntryHeader), data, len);
	queue->head += total;
	queue->pending++;
	queue->enqueued++;
	*wake = latch_for_database(dboid);
	return true;
}

/* Moves the tail over DONE entries and wrap markers. */
static void
advance_tail(void)
{
	while (queue->tail < queue->head)
	{
		EntryHeader *h = header_at(queue->tail);

		if (h->len != AG_ENTRY_WRAP && h->state != ENTRY_DONE)
			break;
		queue->tail = next_pos(queue->tail);
	}
}

/* ---------------------------------------------------------------------------------------------------
 * Producer */

static void
count_overflow(void)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->overflowed++;
	LWLockRelease(queue->lock);
}

static void
count_discarded(uint64 n)
{
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->discarded += n;
	LWLockRelease(queue->lock);
}

/* Appends, waiting up to AG_FULL_WAIT_MS for space. False when the queue stayed full. */
static bool
push_with_wait(Oid dboid, const char *data, uint32 len)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), AG_FULL_WAIT_MS);
	bool		pushed = false;

	for (;;)
	{
		Latch	   *wake = nullptr;
		Latch	   *launcher = nullptr;
		long		left;

		LWLockAcquire(queue->lock, LW_EXCLUSIVE);
		pushed = ring_push(dboid, data, len, &wake);
		if (!pushed)
		{
			/* Full: make sure every consumer is awake (the ring may be full of another database's
			 * entries whose writer has yet to be started by the launcher). */
			wake = latch_for_database(dboid);
			launcher = queue->launcher_latch;
		}
		LWLockRelease(queue->lock);
		if (wake != nullptr)
			SetLatch(wake);
		if (launcher != nullptr && launcher != wake)
			SetLatch(launcher);
		if (pushed)
			break;
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (left <= 0)
			break;
		/* Sleeps on our latch; exits if the postmaster dies; a cancel raises its ERROR here, which
		 * is fine: the server-log line already holds this event. */
		(void) ConditionVariableTimedSleep(&queue->space_cv, Min(left, 100L), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return pushed;
}

/* The SHA-256 of the normalised statement, with the server's own implementation. */
static void
statement_sha256(const char *normalized, uint8 *out)
{
	text	   *t = cstring_to_text(normalized);
	bytea	   *h = DatumGetByteaPP(DirectFunctionCall1(sha256_bytea, PointerGetDatum(t)));

	Assert(VARSIZE_ANY_EXHDR(h) == 32);
	memcpy(out, VARDATA_ANY(h), 32);
	pfree(t);
	pfree(h);
}

static void
to_record(const EventData *ev, const char *login_role, const uint8 *hash, AuditRecord *r)
{
	ListCell   *lc;

	r->database_oid = ev->database_oid;
	r->login_role_oid = ev->login_role_oid;
	r->logged_at = ev->logged_at;
	r->backend_pid = ev->backend_pid;
	r->decision = static_cast<uint8_t>(ev->decision);
	r->approvable = ev->approvable;
	r->extension_present = ev->extension_present;
	r->read_only = ev->read_only;
	r->has_statement_hash = hash != nullptr;
	if (hash != nullptr)
		memcpy(r->statement_hash, hash, 32);
	r->rows_affected = ev->rows_affected;
	r->request_id = ev->request_id;
	r->token_id = ev->token_id;
	r->database = ev->database ? ev->database : "";
	r->login_role = login_role ? login_role : "";
	r->session_role = ev->session_role ? ev->session_role : "";
	r->current_role = ev->current_role ? ev->current_role : "";
	r->application_name = ev->application_name ? ev->application_name : "";
	r->client_addr = ev->client_addr ? ev->client_addr : "";
	r->command = ev->command ? ev->command : "";
	r->statement = ev->statement ? ev->statement : "";
	r->reason = ev->reason ? ev->reason : "";
	r->notify_payload = ev->notify_payload ? ev->notify_payload : "";
	foreach(lc, ev->objects)
		r->objects.emplace_back(static_cast<const char *>(lfirst(lc)));
	foreach(lc, ev->object_oids)
		r->object_oids.push_back(lfirst_oid(lc));
}

void
audit_enqueue(const EventData *ev)
{
	uint8		hash[32];
	bool		has_hash = false;
	const char *login_role;
	char	   *buf = nullptr;
	uint32		len = 0;

	/* No shared state (standalone backend): the server-log line is the only record. */
	if (queue == nullptr || ev == nullptr)
		return;
	/* Without the extension in this database there is nowhere to write: SPEC §1 makes the server log
	 * the record. Counted, so DBAs can see it happen. */
	if (!ev->extension_present)
	{
		count_discarded(1);
		return;
	}

	/* Everything that calls PostgreSQL happens before the C++ part. */
	if (ev->statement_normalized != nullptr)
	{
		statement_sha256(ev->statement_normalized, hash);
		has_hash = true;
	}
	login_role = GetUserNameFromId(ev->login_role_oid, true);

	ag_cpp_call("serializing an audit record", [&]() {
		/* Catch here: a failure to queue must not turn the agent's error (or an approved statement)
		 * into an internal error; it becomes an overflow below. */
		try
		{
			AuditRecord r;
			to_record(ev, login_role, has_hash ? hash : nullptr, &r);
			std::string bytes = serialize_record(r);
			if (bytes.size() <= AG_QUEUE_MAX_ENTRY)
			{
				buf = static_cast<char *>(MemoryContextAllocExtended(CurrentMemoryContext, bytes.size(),
																	 MCXT_ALLOC_NO_OOM));
				if (buf != nullptr)
				{
					memcpy(buf, bytes.data(), bytes.size());
					len = static_cast<uint32>(bytes.size());
				}
			}
		}
		catch (...)
		{
			buf = nullptr;
		}
	});

	if (buf == nullptr || !push_with_wait(ev->database_oid, buf, len))
	{
		count_overflow();
		ereport(LOG,
				(errmsg("pg_agentguard: audit queue is full; the event logged above was not queued for agentguard.audit_log"),
				 errhidestmt(true)));
	}
	if (buf != nullptr)
		pfree(buf);
}

/* ---------------------------------------------------------------------------------------------------
 * Writers */

/* Hands TAKEN entries of dboid back; lock held. */
static void
reset_taken(Oid dboid)
{
	for (uint64 pos = queue->tail; pos < queue->head; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len != AG_ENTRY_WRAP && h->dboid == dboid && h->state == ENTRY_TAKEN)
			h->state = ENTRY_READY;
	}
}

static bool
has_ready(Oid dboid)
{
	for (uint64 pos = queue->tail; pos < queue->head; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len != AG_ENTRY_WRAP && h->dboid == dboid && h->state == ENTRY_READY)
			return true;
	}
	return false;
}

bool
audit_queue_attach_writer(Oid dboid)
{
	int			free_slot = -1;

	if (queue == nullptr)
		return false;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < AG_MAX_WRITERS; i++)
	{
		if (queue->writers[i].dboid == dboid && queue->writers[i].pid != 0)
		{
			LWLockRelease(queue->lock);
			return false;
		}
		if (free_slot < 0 && queue->writers[i].pid == 0)
			free_slot = i;
	}
	if (free_slot >= 0)
	{
		queue->writers[free_slot].dboid = dboid;
		queue->writers[free_slot].pid = MyProcPid;
		queue->writers[free_slot].latch = &MyProc->procLatch;
		reset_taken(dboid);
		my_slot = free_slot;
	}
	LWLockRelease(queue->lock);
	return free_slot >= 0;
}

void
audit_queue_detach_writer(void)
{
	if (queue == nullptr || my_slot < 0)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	reset_taken(queue->writers[my_slot].dboid);
	queue->writers[my_slot].dboid = InvalidOid;
	queue->writers[my_slot].pid = 0;
	queue->writers[my_slot].latch = nullptr;
	my_slot = -1;
	/* Entries handed back need a new writer: let the launcher look. */
	Latch	   *launcher = queue->launcher_latch;

	LWLockRelease(queue->lock);
	if (launcher != nullptr)
		SetLatch(launcher);
}

int
audit_queue_take(char *buf, Size bufsize, QueueTaken *out, int max)
{
	int			n = 0;
	Size		used = 0;

	if (queue == nullptr || my_slot < 0 || max <= 0)
		return 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	Oid			dboid = queue->writers[my_slot].dboid;

	for (uint64 pos = queue->tail; pos < queue->head && n < max; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len == AG_ENTRY_WRAP || h->dboid != dboid || h->state != ENTRY_READY)
			continue;
		if (used + h->len > bufsize)
			break;
		memcpy(buf + used, reinterpret_cast<char *>(h) + sizeof(EntryHeader), h->len);
		h->state = ENTRY_TAKEN;
		out[n].pos = pos;
		out[n].data = buf + used;
		out[n].len = h->len;
		used += h->len;
		n++;
	}
	LWLockRelease(queue->lock);
	return n;
}

void
audit_queue_finish(const QueueTaken *entries, int n, uint64 written, uint64 discarded, uint64 failed)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		EntryHeader *h = header_at(entries[i].pos);

		/* Only an entry this writer still holds: positions are never reused while it is TAKEN. */
		if (h->state == ENTRY_TAKEN)
		{
			h->state = ENTRY_DONE;
			queue->pending--;
		}
	}
	queue->written += written;
	queue->discarded += discarded;
	queue->write_failures += failed;
	advance_tail();
	LWLockRelease(queue->lock);
	ConditionVariableBroadcast(&queue->space_cv);
}

bool
audit_queue_detach_if_idle(void)
{
	bool		idle;

	if (queue == nullptr || my_slot < 0)
		return true;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	idle = !has_ready(queue->writers[my_slot].dboid);
	if (idle)
	{
		queue->writers[my_slot].dboid = InvalidOid;
		queue->writers[my_slot].pid = 0;
		queue->writers[my_slot].latch = nullptr;
		my_slot = -1;
	}
	LWLockRelease(queue->lock);
	return idle;
}

/* ---------------------------------------------------------------------------------------------------
 * Launcher */

void
audit_queue_set_launcher(bool starting)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (starting && queue->launcher_starts++ > 0)
		queue->worker_restarts++;	/* the launcher came back after it exited */
	queue->launcher_latch = starting ? &MyProc->procLatch : nullptr;
	queue->launcher_pid = starting ? MyProcPid : 0;
	LWLockRelease(queue->lock);
}

int
audit_queue_orphan_databases(Oid *out, int max)
{
	int			n = 0;

	if (queue == nullptr)
		return 0;
	LWLockAcquire(queue->lock, LW_SHARED);
	for (uint64 pos = queue->tail; pos < queue->head && n < max; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);
		bool		known = false;

		if (h->len == AG_ENTRY_WRAP || h->state != ENTRY_READY)
			continue;
		for (int i = 0; i < n && !known; i++)
			known = out[i] == h->dboid;
		for (int i = 0; i < AG_MAX_WRITERS && !known; i++)
			known = queue->writers[i].pid != 0 && queue->writers[i].dboid == h->dboid;
		if (!known)
			out[n++] = h->dboid;
	}
	LWLockRelease(queue->lock);
	return n;
}

uint64
audit_queue_discard_database(Oid dboid)
{
	uint64		n = 0;

	if (queue == nullptr)
		return 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (uint64 pos = queue->tail; pos < queue->head; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len != AG_ENTRY_WRAP && h->dboid == dboid && h->state == ENTRY_READY)
		{
			h->state = ENTRY_DONE;
			queue->pending--;
			n++;
		}
	}
	queue->discarded += n;
	advance_tail();
	LWLockRelease(queue->lock);
	ConditionVariableBroadcast(&queue->space_cv);
	return n;
}

void
audit_queue_count_restart(void)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	queue->worker_restarts++;
	LWLockRelease(queue->lock);
}

}  // namespace agentguard

/* ---------------------------------------------------------------------------------------------------
 * agentguard.queue_stats(): one row of counters for DBAs. */

extern "C" {
PG_FUNCTION_INFO_V1(ag_queue_stats);
}

extern "C" Datum
ag_queue_stats(PG_FUNCTION_ARGS)
{
	using agentguard::queue;
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11];
	int			writers = 0;

	if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	if (tupdesc->natts != 11)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("agentguard.queue_stats() is declared with %d columns, expected 11", tupdesc->natts),
				 errhint("Update the pg_agentguard extension.")));
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, 0, sizeof(nulls));
	if (queue == nullptr)
	{
		for (int i = 0; i < 11; i++)
			nulls[i] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}

	LWLockAcquire(queue->lock, LW_SHARED);
	for (int i = 0; i < AG_MAX_WRITERS; i++)
		if (queue->writers[i].pid != 0)
			writers++;
	values[0] = Int64GetDatum((int64) queue->enqueued);
	values[1] = Int64GetDatum((int64) queue->written);
	values[2] = Int64GetDatum((int64) queue->overflowed);
	values[3] = Int64GetDatum((int64) queue->discarded);
	values[4] = Int64GetDatum((int64) queue->write_failures);
	values[5] = Int64GetDatum((int64) queue->worker_restarts);
	values[6] = Int64GetDatum((int64) queue->pending);
	values[7] = Int64GetDatum((int64) (queue->head - queue->tail));
	values[8] = Int64GetDatum((int64) AG_RING_BYTES);
	values[9] = Int32GetDatum(writers);
	values[10] = Int32GetDatum(queue->launcher_pid);
	LWLockRelease(queue->lock);
	if (values[10] == Int32GetDatum(0))
		nulls[10] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
