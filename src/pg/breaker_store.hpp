/*
 * breaker_store.hpp — the shared state behind breaker.cpp: layout, windows, entries, persistence.
 * Internal to the circuit-breaker module (breaker.cpp, breaker_store.cpp); see breaker_store.cpp for
 * the layout and the lock protocol.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

#define AG_BREAKER_ROLES 256
#define AG_BREAKER_TABLES 4096
#define AG_WINDOW_BUCKETS 20
#define AG_BREAKER_TRANCHE "pg_agentguard_breaker"
#define AG_BREAKER_FILE "pg_stat/pg_agentguard_breakers.stat"
#define AG_BREAKER_FILE_MAGIC 0x41474231u	/* "AGB1" */

struct Window
{
	int64		start[AG_WINDOW_BUCKETS];
	int64		width[AG_WINDOW_BUCKETS];
	int64		n[AG_WINDOW_BUCKETS];
	/* The sum within the window, valid for times in [sum_from, sum_until) and window sum_window; only
	 * written with the lock held exclusively. */
	bool		sum_valid;
	int64		sum;
	int64		sum_from;
	int64		sum_until;
	int64		sum_window;
};

struct RoleEntry
{
	Oid			role;			/* InvalidOid: free */
	pg_atomic_uint32 open;
	TimestampTz tripped_at;
	int64		window_usecs;	/* the agent's budget_window at its last change */
	TimestampTz last_change;
	Window		rows;
	Window		refusals;
	char		reason[512];
};

struct TableEntry
{
	Oid			role;			/* InvalidOid: never used */
	Oid			db;
	Oid			rel;
	double		size;
	int64		window_usecs;
	TimestampTz last_change;
	Window		rows;
};

struct BreakerShared
{
	LWLock	   *lock;
	LWLock	   *file_lock;
	pg_atomic_uint64 clock_offset;
	RoleEntry	roles[AG_BREAKER_ROLES];
	TableEntry	tables[AG_BREAKER_TABLES];
};

extern BreakerShared *breaker_shared;

/* Windows: the caller holds the lock (exclusively for window_add and window_sum_store). */
int64		window_sum(const Window *w, int64 now, int64 window);
int64		window_sum_store(Window *w, int64 now, int64 window);	/* also caches the sum */
void		window_add(Window *w, int64 now, int64 window, int64 n);
void		window_clear(Window *w);

/* Entries: the caller holds the lock; exclusively to add. NULL when absent or no room. */
RoleEntry  *find_role(Oid role);
RoleEntry  *find_or_add_role(Oid role, TimestampTz now, int64 window);
TableEntry *find_table(Oid role, Oid rel, bool create, TimestampTz now, int64 window);

/* Writes a copy of the state to its file (takes the locks itself). */
void		breaker_save_now(void);

void		breaker_store_init(void);

}  // namespace agentguard
