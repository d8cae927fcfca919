/*
 * audit_queue.hpp — the shared-memory queue between the backends that intercept statements and the
 * processes that write the audit rows (SPEC §6): the writers of audit_worker.cpp, and an approver's own
 * backend, which writes its database's queued records itself before it decides (audit_flush.cpp).
 *
 * Producers (any backend) call audit_enqueue() (declared in audit.hpp). See audit_queue.cpp for the
 * layout and the lock protocol, and audit_worker.cpp for the lifecycle of the writers.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Installs the shared-memory hooks; call once from _PG_init (after the settings are defined). */
void		audit_queue_init(void);

/* True once the shared state exists (false e.g. in a standalone backend without the hooks). */
bool		audit_queue_ready(void);

/* One entry handed out by audit_queue_take(). */
struct QueueTaken
{
	uint64		pos;			/* position of the entry in the ring: the key to finish it */
	const char *data;			/* payload (one serialized record), copied into the caller's buffer */
	uint32		len;
};

/* A taker's copy buffer must hold at least this much (the largest entry). */
#define AG_QUEUE_MAX_ENTRY (1024 * 1024)

/* ---- producers (audit_enqueue.cpp) ---- */

/* Appends one record of database dboid, waiting up to a second for space. False: the queue stayed full. */
bool		audit_queue_push(Oid dboid, const char *data, uint32 len);

enum QueueCounter
{
	QC_OVERFLOWED,
	QC_DISCARDED
};
void		audit_queue_count(QueueCounter which, uint64 n);

/* ---- takers: writers and approvers ---- */

/*
 * Copies up to max READY entries of database dboid into buf (bufsize >= AG_QUEUE_MAX_ENTRY; the entries
 * that fit), oldest first, and marks them TAKEN by this process. Returns the count. Does not allocate.
 */
int			audit_queue_take(Oid dboid, char *buf, Size bufsize, QueueTaken *out, int max);

/* Marks taken entries DONE and frees their space; the counters say what became of them. */
void		audit_queue_finish(const QueueTaken *entries, int n, uint64 written, uint64 discarded,
							   uint64 failed);

/* Hands taken entries back (READY again): their write failed and will be retried. */
void		audit_queue_requeue(const QueueTaken *entries, int n, bool count_failure);

/* Hands back every entry this process has TAKEN (process exit). */
void		audit_queue_requeue_mine(void);

/* ---- writers (audit_worker.cpp) ---- */

/* A writer claims the slot the launcher reserved for it; false when the slot is not (any more) its. */
bool		audit_queue_attach_writer(int slot, Oid dboid);

/* Frees the writer's slot and hands back what it took. Idempotent. */
void		audit_queue_detach_writer(void);

/*
 * Whether the writer should leave now, decided and (when true) detached under one lock hold so that no
 * producer counts on it afterwards: a DBA asked it to leave its database; or its database has nothing
 * ready and either it has been idle for idle_ms or another database is waiting for a slot; or it has
 * served for at least quantum_ms while another database waits and no slot is free.
 */
bool		audit_queue_writer_should_leave(TimestampTz idle_since, TimestampTz serving_since,
											int idle_ms, int quantum_ms);

/* ---- launcher ---- */

void		audit_queue_set_launcher(bool starting);

/* Number of writer slots (agentguard.max_writers at server start). */
int			audit_queue_writer_slots(void);

/* Databases with READY entries and no writer, oldest entry first, not held by a DBA operation. */
int			audit_queue_orphan_databases(Oid *out, int max);

/* Reserves slot (when free) for a writer of dboid that is about to start; false when it cannot. */
bool		audit_queue_reserve_slot(int slot, Oid dboid);

/* The writer started for slot stopped: frees the slot and returns true if it never attached. */
bool		audit_queue_slot_stopped(int slot);

/* True while a process occupies the slot (starting or attached). */
bool		audit_queue_slot_busy(int slot);

/* Drops every READY entry of a database that no longer exists; returns how many (counted). */
uint64		audit_queue_discard_database(Oid dboid);

/* A worker starts again after an abnormal exit. */
void		audit_queue_count_restart(void);

/* ---- DBA operations (audit_ddl.cpp, called from the utility hook) ---- */

/* Keeps the launcher from starting writers for dboid for the next ms milliseconds. */
void		audit_queue_hold_database(Oid dboid, int ms);

/* Asks the writers of dboid to leave (flag and latch); false when none is there any more. */
bool		audit_queue_ask_to_leave(Oid dboid);

/*
 * Before DROP DATABASE, ALTER DATABASE (rename, options, tablespace) and CREATE DATABASE ... TEMPLATE:
 * holds the database off the writers for a few seconds and waits (at most about 1.5 s) until no writer
 * is connected to it. Cheap for every other statement.
 */
void		audit_before_database_ddl(Node *utility_stmt);

/* ---- monitoring ---- */

struct QueueStats
{
	uint64		enqueued;
	uint64		written;
	uint64		overflowed;
	uint64		discarded;
	uint64		write_failures;
	uint64		worker_restarts;
	uint64		pending;
	uint64		queued_bytes;
	uint64		queue_bytes;
	int			writers;
	int			max_writers;
	int			launcher_pid;
};

/* False when there is no shared state. */
bool		audit_queue_stats(QueueStats *out);

}  // namespace agentguard
