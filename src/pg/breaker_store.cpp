/*
 * breaker_store.cpp — the shared state of budgets and circuit breakers (SPEC §8); the logic is breaker.cpp.
 *
 * Layout. One fixed struct in the main shared-memory segment: AG_BREAKER_ROLES role entries and
 * AG_BREAKER_TABLES table entries. Each holds windows of AG_WINDOW_BUCKETS buckets: a bucket covers
 * budget_window / AG_WINDOW_BUCKETS of time (at least a second), starts at a multiple of its width, and
 * is cleared when its slot is reused for a later period, so a window slides in steps of one bucket.
 * "Within the window" means a bucket that overlaps (now - budget_window, now]. Table entries are an
 * open-addressing hash on (role, database, table); an entry whose last change is older than its
 * window is free for reuse but stays in its probe chain. Time is the wall clock plus a test offset
 * (agentguard._breaker_clock_advance(), superusers only), so tests never sleep.
 *
 * Lock protocol. One LWLock (tranche "pg_agentguard_breaker", lock 0) protects every field of
 * BreakerShared except `open` and `clock_offset`:
 *  - Readers of windows, reasons and entries (the budget check of a statement, the breakers view)
 *    take it shared; every change (accounting, a refusal, trip, reset, a new entry) takes it exclusive.
 *    It is never held across a call that can ereport or allocate: callers copy what they need first.
 *  - `open` (per role) is written only with the lock held exclusively and read without it by the check
 *    that every write statement of an agent makes: a trip that races with a statement already past its
 *    check lets that one statement through, the next is refused.
 *  - `clock_offset` is an atomic, changed only by the test function.
 *  - Lock 1 of the tranche serialises writers of the state file; it is taken before lock 0, never
 *    the other way round.
 *
 * Persistence. Like pg_stat_statements, the postmaster writes the state to pg_stat/ at a clean shutdown
 * and the next start reads it back. A trip and a reset also write the file at once, so an open breaker
 * stays open after a crash restart as well (the row counts are then those of the last write).
 */
#include "pg/pg_headers.hpp"

#include "pg/breaker_store.hpp"

#define shared breaker_shared

namespace agentguard {

BreakerShared *breaker_shared = nullptr;

#if AG_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = nullptr;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

/* ---------------------------------------------------------------------------------------------------
 * Windows; callers hold the lock as needed. */

static inline int64
bucket_width(int64 window)
{
	int64		w = window / AG_WINDOW_BUCKETS;

	return w < USECS_PER_SEC ? USECS_PER_SEC : w;
}

static inline bool
in_window(const Window *w, int i, int64 now, int64 window)
{
	return w->n[i] != 0 && w->start[i] + w->width[i] > now - window && w->start[i] <= now;
}

int64
window_sum(const Window *w, int64 now, int64 window)
{
	int64		n = 0;

	/* The common case of a budget check: the sum the last change left, still valid now. */
	if (w->sum_valid && w->sum_window == window && now >= w->sum_from && now < w->sum_until)
		return w->sum;
	for (int i = 0; i < AG_WINDOW_BUCKETS; i++)
		if (in_window(w, i, now, window))
			n += w->n[i];
	return n;
}

int64
window_sum_store(Window *w, int64 now, int64 window)
{
	int64		n = 0;
	int64		until = PG_INT64_MAX;

	if (w->sum_valid && w->sum_window == window && now >= w->sum_from && now < w->sum_until)
		return w->sum;
	for (int i = 0; i < AG_WINDOW_BUCKETS; i++)
		if (in_window(w, i, now, window))
		{
			n += w->n[i];
			/* the sum holds until the first of its buckets leaves the window */
			if (w->start[i] + w->width[i] + window < until)
				until = w->start[i] + w->width[i] + window;
		}
	w->sum = n;
	w->sum_from = now;
	w->sum_until = until;
	w->sum_window = window;
	w->sum_valid = true;
	return n;
}

void
window_add(Window *w, int64 now, int64 window, int64 n)
{
	int64		width = bucket_width(window);
	int64		idx = now / width;
	int			slot = (int) (idx % AG_WINDOW_BUCKETS);

	if (w->start[slot] != idx * width || w->width[slot] != width)
	{
		w->start[slot] = idx * width;
		w->width[slot] = width;
		w->n[slot] = 0;
		w->sum_valid = false;	/* an old bucket may have left with its count */
	}
	w->n[slot] += n;
	if (w->sum_valid && w->sum_window == window && now >= w->sum_from && now < w->sum_until)
		w->sum += n;
	else
		w->sum_valid = false;
}

void
window_clear(Window *w)
{
	memset(w, 0, sizeof(Window));
}

/* ---------------------------------------------------------------------------------------------------
 * Shared memory and its file */

static Size
breaker_shmem_size(void)
{
	return MAXALIGN(sizeof(BreakerShared));
}

static void
breaker_request(void)
{
	RequestAddinShmemSpace(breaker_shmem_size());
	RequestNamedLWLockTranche(AG_BREAKER_TRANCHE, 2);
}

#if AG_HAVE_SHMEM_REQUEST_HOOK
static void
breaker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	breaker_request();
}
#endif

/* The part of the state that is kept: everything after the locks and the clock. */
static inline char *
payload_start(BreakerShared *s)
{
	return reinterpret_cast<char *>(&s->roles[0]);
}

static inline Size
payload_size(void)
{
	return sizeof(BreakerShared) - offsetof(BreakerShared, roles);
}

static void
load_file(BreakerShared *s)
{
	FILE	   *f = AllocateFile(AG_BREAKER_FILE, PG_BINARY_R);
	uint32		magic = 0;
	uint64		size = 0;
	char	   *buf;

	if (f == nullptr)
		return;
	buf = static_cast<char *>(palloc(payload_size()));
	if (fread(&magic, sizeof(magic), 1, f) == 1 && magic == AG_BREAKER_FILE_MAGIC &&
		fread(&size, sizeof(size), 1, f) == 1 && size == payload_size() &&
		fread(buf, payload_size(), 1, f) == 1)
	{
		memcpy(payload_start(s), buf, payload_size());
		/* The atomics were copied as plain words; give them their proper initialisation. */
		for (int i = 0; i < AG_BREAKER_ROLES; i++)
		{
			uint32		open = *reinterpret_cast<volatile uint32 *>(&s->roles[i].open);

			pg_atomic_init_u32(&s->roles[i].open, open != 0 ? 1 : 0);
		}
	}
	else
		ereport(LOG, (errmsg("pg_agentguard: ignoring unreadable circuit breaker file \"%s\"", AG_BREAKER_FILE)));
	pfree(buf);
	FreeFile(f);
}

/* Writes buf (a copy of the payload) to the state file; returns false on failure (logged). */
static bool
write_file(const char *buf)
{
	char		tmp[MAXPGPATH];
	FILE	   *f;
	uint32		magic = AG_BREAKER_FILE_MAGIC;
	uint64		size = payload_size();

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", AG_BREAKER_FILE, MyProcPid);
	f = AllocateFile(tmp, PG_BINARY_W);
	if (f == nullptr)
	{
		ereport(LOG, (errcode_for_file_access(), errmsg("pg_agentguard: could not write \"%s\": %m", tmp)));
		return false;
	}
	if (fwrite(&magic, sizeof(magic), 1, f) != 1 || fwrite(&size, sizeof(size), 1, f) != 1 ||
		fwrite(buf, size, 1, f) != 1)
	{
		ereport(LOG, (errcode_for_file_access(), errmsg("pg_agentguard: could not write \"%s\": %m", tmp)));
		FreeFile(f);
		unlink(tmp);
		return false;
	}
	if (FreeFile(f) != 0)
	{
		unlink(tmp);
		return false;
	}
	return durable_rename(tmp, AG_BREAKER_FILE, LOG) == 0;
}

/* At a clean shutdown the postmaster writes the state; nothing else runs any more. */
static void
breaker_shmem_shutdown(int code, Datum arg)
{
	(void) arg;
	if (code != 0 || shared == nullptr)
		return;
	write_file(payload_start(shared));
}

/* From a backend, after a trip or a reset: a consistent copy, written outside the data lock. */
void
breaker_save_now(void)
{
	char	   *buf = static_cast<char *>(palloc(payload_size()));

	LWLockAcquire(shared->file_lock, LW_EXCLUSIVE);
	LWLockAcquire(shared->lock, LW_SHARED);
	memcpy(buf, payload_start(shared), payload_size());
	LWLockRelease(shared->lock);
	write_file(buf);
	LWLockRelease(shared->file_lock);
	pfree(buf);
}

static void
breaker_shmem_startup(void)
{
	bool		found;
	BreakerShared *s;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	shared = nullptr;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	s = static_cast<BreakerShared *>(ShmemInitStruct("pg_agentguard breakers", breaker_shmem_size(), &found));
	if (!found)
	{
		LWLockPadded *locks = GetNamedLWLockTranche(AG_BREAKER_TRANCHE);

		memset(s, 0, sizeof(BreakerShared));
		s->lock = &locks[0].lock;
		s->file_lock = &locks[1].lock;
		pg_atomic_init_u64(&s->clock_offset, 0);
		for (int i = 0; i < AG_BREAKER_ROLES; i++)
			pg_atomic_init_u32(&s->roles[i].open, 0);
		load_file(s);
	}
	LWLockRelease(AddinShmemInitLock);
	shared = s;
	if (!IsUnderPostmaster)
		on_shmem_exit(breaker_shmem_shutdown, (Datum) 0);
}

RoleEntry *
find_role(Oid role)
{
	for (int i = 0; i < AG_BREAKER_ROLES; i++)
		if (shared->roles[i].role == role)
			return &shared->roles[i];
	return nullptr;
}

/* An entry of a closed breaker with nothing in its window may be reused. */
RoleEntry *
find_or_add_role(Oid role, TimestampTz now, int64 window)
{
	RoleEntry  *e = find_role(role);
	RoleEntry  *spare = nullptr;

	if (e != nullptr)
		return e;
	for (int i = 0; i < AG_BREAKER_ROLES && spare == nullptr; i++)
	{
		RoleEntry  *c = &shared->roles[i];

		if (c->role == InvalidOid ||
			(pg_atomic_read_u32(&c->open) == 0 && c->last_change < now - c->window_usecs))
			spare = c;
	}
	if (spare == nullptr)
		return nullptr;
	window_clear(&spare->rows);
	window_clear(&spare->refusals);
	spare->reason[0] = '\0';
	spare->tripped_at = 0;
	spare->window_usecs = window;
	spare->last_change = now;
	pg_atomic_write_u32(&spare->open, 0);
	spare->role = role;
	return spare;
}

static inline uint32
table_hash(Oid role, Oid db, Oid rel)
{
	uint32		h = role * 0x9E3779B1u;

	h ^= db + 0x7F4A7C15u + (h << 6) + (h >> 2);
	h ^= rel + 0x7F4A7C15u + (h << 6) + (h >> 2);
	return h;
}

TableEntry *
find_table(Oid role, Oid rel, bool create, TimestampTz now, int64 window)
{
	uint32		h = table_hash(role, MyDatabaseId, rel) % AG_BREAKER_TABLES;
	TableEntry *reusable = nullptr;

	for (int probe = 0; probe < AG_BREAKER_TABLES; probe++)
	{
		TableEntry *t = &shared->tables[(h + probe) % AG_BREAKER_TABLES];

		if (t->role == role && t->db == MyDatabaseId && t->rel == rel)
			return t;
		if (t->role == InvalidOid)
		{
			if (reusable == nullptr)
				reusable = t;
			break;
		}
		if (reusable == nullptr && t->last_change < now - t->window_usecs)
			reusable = t;
	}
	if (!create || reusable == nullptr)
		return nullptr;
	memset(reusable, 0, sizeof(TableEntry));
	reusable->role = role;
	reusable->db = MyDatabaseId;
	reusable->rel = rel;
	reusable->window_usecs = window;
	reusable->last_change = now;
	return reusable;
}

void
breaker_store_init(void)
{
#if AG_HAVE_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = breaker_shmem_request;
#else
	breaker_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = breaker_shmem_startup;
}

}  // namespace agentguard
