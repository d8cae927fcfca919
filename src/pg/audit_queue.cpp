/*
 * audit_queue.cpp — the shared-memory ring that carries audit records from the backends that intercept
 * statements to the processes that write them (SPEC §6), the writer slots, and the holds that keep the
 * writers away from a database a DBA is dropping, renaming, moving or copying.
 *
 * Why a queue: a blocked statement's transaction aborts, so its audit row cannot be written by the
 * blocked backend. The backend serializes the event (core/record.hpp), appends it here (audit_enqueue.cpp)
 * and wakes the writer of its database, or the launcher when there is none (audit_worker.cpp). An
 * approver's backend may also take its own database's entries and write them in its own transaction
 * (audit_flush.cpp), so that approve() never waits for a writer.
 *
 * Layout. One AgQueueShared header, agentguard.max_writers WriterSlots, then a fixed ring of AG_RING_BYTES
 * in the main shared-memory segment. Entries are variable length, 16-byte aligned, each a header {len,
 * database oid, state, taker pid} followed by one serialized record. An entry never wraps: when it does
 * not fit before the end of the ring, a WRAP header fills the rest and the entry starts at offset 0.
 * Positions (head, tail) are 64-bit byte counters that only grow; the offset in the ring is position
 * modulo AG_RING_BYTES. Entries of all databases share the ring in arrival order, so a scan from the tail
 * meets the databases oldest record first: that is the launcher's order of service. Entries go READY ->
 * TAKEN (by one process, whose pid is in the header) -> DONE, or back to READY when their write failed;
 * the tail advances over DONE entries only. A database that no writer can serve holds back the tail until
 * it is served; only a database that no longer exists is discarded (counted, and the server log holds a
 * line for each of its events).
 *
 * Lock protocol. One LWLock (named tranche "pg_agentguard_queue") protects everything in the shared
 * struct: head, tail, entry headers and payloads, writer slots, holds, launcher latch and counters.
 *  - Producers take it exclusively to append one entry (a memcpy of at most 1 MB, usually < 1 KB), then
 *    release it and only then SetLatch the writer (or the launcher).
 *  - Takers take it exclusively to copy out READY entries (marking them TAKEN) and again, after their
 *    transaction committed (or failed), to mark them DONE (or READY) and advance the tail; they never
 *    hold it while running SQL. Nothing is allocated while it is held, so no ERROR can be raised with it
 *    held except by a bug; an ERROR would release it anyway.
 *  - A process that exits hands its TAKEN entries back (before_shmem_exit for writers, the transaction
 *    callback for approvers). A crash of any backend makes the postmaster reinitialize shared memory:
 *    the queue is then lost, and the server-log line that the event sink writes before every enqueue is
 *    the record of those events.
 *  - Producers that find the ring full sleep on space_cv (at most AG_FULL_WAIT_MS in total, waking the
 *    writers meanwhile); takers broadcast it whenever they free space. Then they give up and count an
 *    overflow: the server-log line is the record.
 */
#include "pg/pg_headers.hpp"

#include <cstring>

#include "core/record.hpp"
#include "pg/audit_queue.hpp"
#include "pg/guc.hpp"

namespace agentguard {

#define AG_RING_BYTES (8 * 1024 * 1024)
#define AG_FULL_WAIT_MS 1000
#define AG_TRANCHE "pg_agentguard_queue"
#define AG_MAX_HOLDS 16

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
	uint32		taker;			/* pid of the process that took it (TAKEN only) */
};

static_assert(sizeof(EntryHeader) == 16, "entry header is 16 bytes");
static_assert(AG_QUEUE_MAX_ENTRY >= agentguard::kMaxRecordBytes, "a record fits in one entry");
static_assert(AG_RING_BYTES % 16 == 0 && AG_RING_BYTES >= 4 * (AG_QUEUE_MAX_ENTRY + 16),
			  "the ring holds several of the largest entries");

#define SLOT_FREE 0
#define SLOT_STARTING (-1)

struct WriterSlot
{
	Oid			dboid;
	int			pid;			/* SLOT_FREE, SLOT_STARTING (reserved by the launcher), or the writer */
	Latch	   *latch;
	bool		leave;			/* a DBA operation asked the writer to leave its database */
};

struct Hold
{
	Oid			dboid;
	TimestampTz until;
};

struct AgQueueShared
{
	LWLock	   *lock;
	ConditionVariable space_cv;
	Latch	   *launcher_latch;
	int			launcher_pid;
	int			nslots;
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
	Hold		holds[AG_MAX_HOLDS];
};

static AgQueueShared *queue = nullptr;
static WriterSlot *slots = nullptr;
static char *ring = nullptr;
static int	my_slot = -1;		/* this process's writer slot */

#if AG_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = nullptr;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

static Size
slots_offset(void)
{
	return MAXALIGN(sizeof(AgQueueShared));
}

static Size
ring_offset(int nslots)
{
	return TYPEALIGN(16, slots_offset() + sizeof(WriterSlot) * (Size) nslots);
}

static Size
queue_shmem_size(void)
{
	return add_size(ring_offset(guc_max_writers), AG_RING_BYTES);
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
	char	   *base = static_cast<char *>(ShmemInitStruct("pg_agentguard audit queue",
														   queue_shmem_size(), &found));
	AgQueueShared *q = reinterpret_cast<AgQueueShared *>(base);

	if (!found)
	{
		memset(base, 0, ring_offset(guc_max_writers));
		q->lock = &(GetNamedLWLockTranche(AG_TRANCHE))->lock;
		q->nslots = guc_max_writers;
		ConditionVariableInit(&q->space_cv);
	}
	LWLockRelease(AddinShmemInitLock);
	slots = reinterpret_cast<WriterSlot *>(base + slots_offset());
	ring = base + ring_offset(q->nslots);
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
	return reinterpret_cast<EntryHeader *>(ring + (pos % AG_RING_BYTES));
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

static int
slot_of_database(Oid dboid)
{
	for (int i = 0; i < queue->nslots; i++)
		if (slots[i].pid != SLOT_FREE && slots[i].dboid == dboid)
			return i;
	return -1;
}

static bool
is_held(Oid dboid, TimestampTz now)
{
	for (int i = 0; i < AG_MAX_HOLDS; i++)
		if (queue->holds[i].dboid == dboid && queue->holds[i].until > now)
			return true;
	return false;
}

static Latch *
latch_for_database(Oid dboid)
{
	int			i = slot_of_database(dboid);

	if (i >= 0 && slots[i].pid > 0)
		return slots[i].latch;
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
	h->taker = 0;
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
 * Producers */

void
audit_queue_count(QueueCounter which, uint64 n)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (which == QC_OVERFLOWED)
		queue->overflowed += n;
	else
		queue->discarded += n;
	LWLockRelease(queue->lock);
}

bool
audit_queue_push(Oid dboid, const char *data, uint32 len)
{
	TimestampTz deadline;
	bool		pushed = false;

	if (queue == nullptr)
		return false;
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), AG_FULL_WAIT_MS);
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

/* ---------------------------------------------------------------------------------------------------
 * Takers */

int
audit_queue_take(Oid dboid, char *buf, Size bufsize, QueueTaken *out, int max)
{
	int			n = 0;
	Size		used = 0;

	if (queue == nullptr || max <= 0)
		return 0;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (uint64 pos = queue->tail; pos < queue->head && n < max; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len == AG_ENTRY_WRAP || h->dboid != dboid || h->state != ENTRY_READY)
			continue;
		if (used + h->len > bufsize)
			break;
		memcpy(buf + used, reinterpret_cast<char *>(h) + sizeof(EntryHeader), h->len);
		h->state = ENTRY_TAKEN;
		h->taker = (uint32) MyProcPid;
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

		/* Only an entry this process still holds: positions are never reused while it is TAKEN. */
		if (h->state == ENTRY_TAKEN && h->taker == (uint32) MyProcPid)
		{
			h->state = ENTRY_DONE;
			h->taker = 0;
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

void
audit_queue_requeue(const QueueTaken *entries, int n, bool count_failure)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		EntryHeader *h = header_at(entries[i].pos);

		if (h->state == ENTRY_TAKEN && h->taker == (uint32) MyProcPid)
		{
			h->state = ENTRY_READY;
			h->taker = 0;
		}
	}
	if (count_failure)
		queue->write_failures++;
	LWLockRelease(queue->lock);
}

void
audit_queue_requeue_mine(void)
{
	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (uint64 pos = queue->tail; pos < queue->head; pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len != AG_ENTRY_WRAP && h->state == ENTRY_TAKEN && h->taker == (uint32) MyProcPid)
		{
			h->state = ENTRY_READY;
			h->taker = 0;
		}
	}
	LWLockRelease(queue->lock);
}

/* ---------------------------------------------------------------------------------------------------
 * Writers */

bool
audit_queue_attach_writer(int slot, Oid dboid)
{
	bool		ok = false;

	if (queue == nullptr || slot < 0 || slot >= queue->nslots)
		return false;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (slots[slot].pid == SLOT_STARTING && slots[slot].dboid == dboid)
	{
		if (is_held(dboid, GetCurrentTimestamp()) || slots[slot].leave)
		{
			/* A DBA operation on this database began while we started: leave at once. */
			slots[slot].pid = SLOT_FREE;
			slots[slot].dboid = InvalidOid;
		}
		else
		{
			slots[slot].pid = MyProcPid;
			slots[slot].latch = &MyProc->procLatch;
			my_slot = slot;
			ok = true;
		}
	}
	LWLockRelease(queue->lock);
	return ok;
}

static void
detach_locked(void)
{
	slots[my_slot].dboid = InvalidOid;
	slots[my_slot].pid = SLOT_FREE;
	slots[my_slot].latch = nullptr;
	slots[my_slot].leave = false;
	my_slot = -1;
}

void
audit_queue_detach_writer(void)
{
	Latch	   *launcher;

	if (queue == nullptr)
		return;
	audit_queue_requeue_mine();
	if (my_slot < 0)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	detach_locked();
	launcher = queue->launcher_latch;
	LWLockRelease(queue->lock);
	/* A slot is free: let the launcher look. */
	if (launcher != nullptr)
		SetLatch(launcher);
}

bool
audit_queue_writer_should_leave(TimestampTz idle_since, TimestampTz serving_since, int idle_ms,
								int quantum_ms)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		own_ready = false;
	bool		others_waiting = false;
	bool		free_slot = false;
	bool		leave;
	Oid			dboid;
	Latch	   *launcher;

	if (queue == nullptr || my_slot < 0)
		return true;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	dboid = slots[my_slot].dboid;
	for (uint64 pos = queue->tail; pos < queue->head && !(own_ready && others_waiting); pos = next_pos(pos))
	{
		EntryHeader *h = header_at(pos);

		if (h->len == AG_ENTRY_WRAP || h->state != ENTRY_READY)
			continue;
		if (h->dboid == dboid)
			own_ready = true;
		else if (!others_waiting && slot_of_database(h->dboid) < 0 && !is_held(h->dboid, now))
			others_waiting = true;
	}
	for (int i = 0; i < queue->nslots && !free_slot; i++)
		free_slot = slots[i].pid == SLOT_FREE;

	if (slots[my_slot].leave)
		leave = true;
	else if (!own_ready)
		leave = others_waiting || TimestampDifferenceExceeds(idle_since, now, idle_ms);
	else
		leave = others_waiting && !free_slot && TimestampDifferenceExceeds(serving_since, now, quantum_ms);
	if (leave)
		detach_locked();
	launcher = queue->launcher_latch;
	LWLockRelease(queue->lock);
	if (leave && launcher != nullptr)
		SetLatch(launcher);
	return leave;
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
	if (starting)
	{
		/* Slots a previous launcher reserved for writers that never attached are ours to reuse;
		 * such a writer finds its slot taken at attach and exits. */
		for (int i = 0; i < queue->nslots; i++)
			if (slots[i].pid == SLOT_STARTING)
			{
				slots[i].pid = SLOT_FREE;
				slots[i].dboid = InvalidOid;
			}
	}
	queue->launcher_latch = starting ? &MyProc->procLatch : nullptr;
	queue->launcher_pid = starting ? MyProcPid : 0;
	LWLockRelease(queue->lock);
}

int
audit_queue_writer_slots(void)
{
	return queue != nullptr ? queue->nslots : 0;
}

int
audit_queue_orphan_databases(Oid *out, int max)
{
	int			n = 0;
	TimestampTz now = GetCurrentTimestamp();

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
		if (!known)
			known = slot_of_database(h->dboid) >= 0 || is_held(h->dboid, now);
		if (!known)
			out[n++] = h->dboid;
	}
	LWLockRelease(queue->lock);
	return n;
}

bool
audit_queue_reserve_slot(int slot, Oid dboid)
{
	bool		ok = false;

	if (queue == nullptr || slot < 0 || slot >= queue->nslots)
		return false;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (slots[slot].pid == SLOT_FREE && slot_of_database(dboid) < 0 &&
		!is_held(dboid, GetCurrentTimestamp()))
	{
		slots[slot].dboid = dboid;
		slots[slot].pid = SLOT_STARTING;
		slots[slot].latch = nullptr;
		slots[slot].leave = false;
		ok = true;
	}
	LWLockRelease(queue->lock);
	return ok;
}

bool
audit_queue_slot_stopped(int slot)
{
	bool		never_attached = false;

	if (queue == nullptr || slot < 0 || slot >= queue->nslots)
		return false;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	if (slots[slot].pid == SLOT_STARTING)
	{
		slots[slot].pid = SLOT_FREE;
		slots[slot].dboid = InvalidOid;
		never_attached = true;
	}
	LWLockRelease(queue->lock);
	return never_attached;
}

bool
audit_queue_slot_busy(int slot)
{
	bool		busy;

	if (queue == nullptr || slot < 0 || slot >= queue->nslots)
		return false;
	LWLockAcquire(queue->lock, LW_SHARED);
	busy = slots[slot].pid != SLOT_FREE;
	LWLockRelease(queue->lock);
	return busy;
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

/* ---------------------------------------------------------------------------------------------------
 * DBA operations */

void
audit_queue_hold_database(Oid dboid, int ms)
{
	TimestampTz now = GetCurrentTimestamp();
	int			free_hold = -1;

	if (queue == nullptr)
		return;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < AG_MAX_HOLDS; i++)
	{
		if (queue->holds[i].dboid == dboid || queue->holds[i].until <= now)
		{
			if (free_hold < 0 || queue->holds[i].dboid == dboid)
				free_hold = i;
		}
	}
	if (free_hold < 0)
		free_hold = 0;			/* all busy: the oldest operations are long done */
	queue->holds[free_hold].dboid = dboid;
	queue->holds[free_hold].until = TimestampTzPlusMilliseconds(now, ms);
	LWLockRelease(queue->lock);
}

bool
audit_queue_ask_to_leave(Oid dboid)
{
	Latch	   *wake[8];
	int			nwake = 0;
	bool		present = false;

	if (queue == nullptr)
		return false;
	LWLockAcquire(queue->lock, LW_EXCLUSIVE);
	for (int i = 0; i < queue->nslots; i++)
		if (slots[i].pid != SLOT_FREE && slots[i].dboid == dboid)
		{
			present = true;
			slots[i].leave = true;
			if (slots[i].latch != nullptr && nwake < 8)
				wake[nwake++] = slots[i].latch;
		}
	LWLockRelease(queue->lock);
	for (int i = 0; i < nwake; i++)
		SetLatch(wake[i]);
	return present;
}

/* ---------------------------------------------------------------------------------------------------
 * Monitoring */

bool
audit_queue_stats(QueueStats *out)
{
	if (queue == nullptr)
		return false;
	LWLockAcquire(queue->lock, LW_SHARED);
	out->writers = 0;
	for (int i = 0; i < queue->nslots; i++)
		if (slots[i].pid > 0)
			out->writers++;
	out->enqueued = queue->enqueued;
	out->written = queue->written;
	out->overflowed = queue->overflowed;
	out->discarded = queue->discarded;
	out->write_failures = queue->write_failures;
	out->worker_restarts = queue->worker_restarts;
	out->pending = queue->pending;
	out->queued_bytes = queue->head - queue->tail;
	out->queue_bytes = AG_RING_BYTES;
	out->max_writers = queue->nslots;
	out->launcher_pid = queue->launcher_pid;
	LWLockRelease(queue->lock);
	return true;
}

}  // namespace agentguard
