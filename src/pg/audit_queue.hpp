/*
 * audit_queue.hpp — the shared-memory queue between the backends that intercept statements and the
 * audit worker that writes the rows (SPEC §6).
 *
 * Producers (any backend) call audit_enqueue() (declared in audit.hpp). The functions below are for
 * the launcher and the per-database writers of audit_worker.cpp. See audit_queue.cpp for the layout and
 * the lock protocol.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Installs the shared-memory hooks; call once from _PG_init. */
void		audit_queue_init(void);

/* True once the shared state exists (false e.g. in a standalone backend without the hooks). */
bool		audit_queue_ready(void);

/* One entry handed to a writer by audit_queue_take(). */
struct QueueTaken
{
	uint64		pos;			/* position of the entry in the ring: the key to finish it */
	const char *data;			/* payload (one serialized record), copied into the caller's buffer */
	uint32		len;
};

/* A writer's copy buffer must hold at least this much (the largest entry). */
#define AG_QUEUE_MAX_ENTRY (1024 * 1024)

/*
 * Writers. A writer first attaches for its database (at most one writer per database); false when
 * another live writer holds it or no slot is free. Attaching hands back to the queue the entries a
 * previous writer of the database took but did not finish.
 */
bool		audit_queue_attach_writer(Oid dboid);

/* Detaches the writer. Entries it took and did not finish become ready again. Idempotent. */
void		audit_queue_detach_writer(void);

/*
 * Copies up to max ready entries of the writer's database into buf (bufsize >= AG_QUEUE_MAX_ENTRY; the
 * entries that fit) and marks them taken. Returns the count (0: nothing to do). Does not allocate.
 */
int			audit_queue_take(char *buf, Size bufsize, QueueTaken *out, int max);

/*
 * Marks taken entries as done (written, discarded, or failed — the counters say which) and frees
 * their space; wakes producers waiting for space.
 */
void		audit_queue_finish(const QueueTaken *entries, int n, uint64 written, uint64 discarded,
							   uint64 failed);

/* When the writer's database has no ready entry, detaches the writer under the same lock hold (so no
 * producer can count on it afterwards) and returns true; otherwise returns false. */
bool		audit_queue_detach_if_idle(void);

/* Launcher. */
void		audit_queue_set_launcher(bool starting);

/* Databases with ready entries and no attached writer; returns how many were stored in out. */
int			audit_queue_orphan_databases(Oid *out, int max);

/* Drops every ready entry of a database no writer can serve (it was dropped, or it refuses
 * connections). Returns how many; they are counted as discarded. */
uint64		audit_queue_discard_database(Oid dboid);

/* A worker (launcher or writer) starts again after an abnormal exit. */
void		audit_queue_count_restart(void);

}  // namespace agentguard
