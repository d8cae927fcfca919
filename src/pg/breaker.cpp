/*
 * breaker.cpp — the shared state of budgets and circuit breakers (SPEC §8). See breaker.hpp.
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

#include "pg/breaker.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"

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

static BreakerShared *shared = nullptr;

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

static int64
window_sum(const Window *w, int64 now, int64 window)
{
	int64		n = 0;

	for (int i = 0; i < AG_WINDOW_BUCKETS; i++)
		if (w->n[i] != 0 && w->start[i] + w->width[i] > now - window && w->start[i] <= now)
			n += w->n[i];
	return n;
}

static void
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
	}
	w->n[slot] += n;
}

static inline int64
current_window(void)
{
	return (int64) guc_budget_window * USECS_PER_SEC;
}

TimestampTz
breaker_now(void)
{
	return GetCurrentTimestamp() + (int64) pg_atomic_read_u64(&shared->clock_offset);
}

/* The statement's start: free to read, and what a statement's rows are counted at. */
static inline TimestampTz
statement_now(void)
{
	return GetCurrentStatementStartTimestamp() + (int64) pg_atomic_read_u64(&shared->clock_offset);
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
static void
save_now(void)
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

/* ---------------------------------------------------------------------------------------------------
 * The agent of a session, and its entry */

static bool actor_valid = false;
static Oid	actor_key[4];
static Oid	actor_oid = InvalidOid;
static RoleEntry *actor_entry = nullptr;

static void
actor_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	actor_valid = false;
	actor_entry = nullptr;
}

Oid
breaker_actor(void)
{
	Oid			key[4] = {GetAuthenticatedUserId(), GetSessionUserId(), GetOuterUserId(), GetUserId()};

	if (likely(actor_valid && key[0] == actor_key[0] && key[1] == actor_key[1] &&
			   key[2] == actor_key[2] && key[3] == actor_key[3]))
		return actor_oid;
	actor_oid = InvalidOid;
	actor_entry = nullptr;
	for (int i = 0; i < 4; i++)
		if (role_is_agent(key[i]))
		{
			actor_oid = key[i];
			break;
		}
	memcpy(actor_key, key, sizeof(key));
	actor_valid = true;
	return actor_oid;
}

/* Lock held (shared or exclusive). */
static RoleEntry *
find_role(Oid role)
{
	for (int i = 0; i < AG_BREAKER_ROLES; i++)
		if (shared->roles[i].role == role)
			return &shared->roles[i];
	return nullptr;
}

/* Lock held exclusively. An entry of a closed breaker with nothing in its window may be reused. */
static RoleEntry *
find_or_add_role(Oid role, TimestampTz now)
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
	memset(&spare->rows, 0, sizeof(Window));
	memset(&spare->refusals, 0, sizeof(Window));
	spare->reason[0] = '\0';
	spare->tripped_at = 0;
	spare->window_usecs = current_window();
	spare->last_change = now;
	pg_atomic_write_u32(&spare->open, 0);
	spare->role = role;
	return spare;
}

/* The entry of this session's agent, cached; NULL when there is no agent or no room. */
static RoleEntry *
actor_role_entry(void)
{
	Oid			a = breaker_actor();
	RoleEntry  *e = actor_entry;

	if (!OidIsValid(a) || shared == nullptr)
		return nullptr;
	/* The entry may have been given to another role meanwhile: its role is checked each time. */
	if (e != nullptr && e->role == a)
		return e;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = find_or_add_role(a, breaker_now());
	LWLockRelease(shared->lock);
	actor_entry = e;
	return e;
}

static inline uint32
table_hash(Oid role, Oid db, Oid rel)
{
	uint32		h = role * 0x9E3779B1u;

	h ^= db + 0x7F4A7C15u + (h << 6) + (h >> 2);
	h ^= rel + 0x7F4A7C15u + (h << 6) + (h >> 2);
	return h;
}

/* Lock held; with create, exclusively. NULL when absent (or, with create, no room). */
static TableEntry *
find_table(Oid role, Oid rel, bool create, TimestampTz now)
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
	reusable->window_usecs = current_window();
	reusable->last_change = now;
	return reusable;
}

/* ---------------------------------------------------------------------------------------------------
 * Budgets */

bool
breaker_ready(void)
{
	return shared != nullptr;
}

static int64
budget_rows_effective(void)
{
	if (guc_budget_rows == 0)
		return INT64_MAX;
	if (guc_budget_rows > 0)
		return guc_budget_rows;
	if (guc_max_rows < 0)
		return INT64_MAX;
	return (int64) guc_max_rows * 10;
}

void
breaker_budget_view(Oid relid, BudgetView *out)
{
	RoleEntry  *e = actor_role_entry();
	int64		limit = budget_rows_effective();
	int64		window = current_window();
	TimestampTz now;

	out->total_left = INT64_MAX;
	out->table_changed = 0;
	out->table_size = 0;
	out->fraction = guc_budget_fraction;
	out->fraction_on = guc_budget_fraction < 1.0;
	if (e == nullptr)
		return;
	now = statement_now();
	LWLockAcquire(shared->lock, LW_SHARED);
	if (e->role == actor_oid)
	{
		TableEntry *t = find_table(actor_oid, relid, false, now);
		int64		total = window_sum(&e->rows, now, window);

		if (limit != INT64_MAX)
			out->total_left = limit > total ? limit - total : 0;
		if (t != nullptr)
		{
			out->table_changed = window_sum(&t->rows, now, window);
			out->table_size = out->table_changed > 0 ? t->size : 0;
		}
	}
	LWLockRelease(shared->lock);
}

void
breaker_account(Oid relid, int64 rows, double size)
{
	RoleEntry  *e = actor_role_entry();
	int64		window = current_window();
	TimestampTz now;

	if (e == nullptr || rows <= 0 || preview_active)
		return;
	now = statement_now();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (e->role == actor_oid)
	{
		TableEntry *t = find_table(actor_oid, relid, true, now);

		window_add(&e->rows, now, window, rows);
		e->window_usecs = window;
		e->last_change = now;
		if (t != nullptr)
		{
			if (window_sum(&t->rows, now, window) == 0)
				t->size = 0;	/* a new window: the size it had then is what counts */
			window_add(&t->rows, now, window, rows);
			if (size > t->size)
				t->size = size;
			t->window_usecs = window;
			t->last_change = now;
		}
	}
	LWLockRelease(shared->lock);
}

/* ---------------------------------------------------------------------------------------------------
 * The breaker */

/* Exclusive lock held. */
static bool
trip_locked(RoleEntry *e, const char *reason, TimestampTz now)
{
	if (pg_atomic_read_u32(&e->open) != 0)
		return false;
	e->tripped_at = now;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->last_change = now;
	pg_atomic_write_u32(&e->open, 1);
	return true;
}

static char *
role_name(Oid role)
{
	char	   *n = GetUserNameFromId(role, true);

	return n != nullptr ? n : psprintf("%u", role);
}

/* The hint of every ZG002 error and the text of the NOTIFY: the call that closes the breaker. */
static char *
reset_call(Oid role)
{
	return psprintf("SELECT agentguard.reset_breaker(%s);", quote_literal_cstr(quote_identifier(role_name(role))));
}

static void
announce_trip(Oid role, const char *reason, TimestampTz at)
{
	save_now();
	report_breaker_event(role_name(role), reason, timestamptz_to_str(at), reset_call(role));
}

bool
breaker_trip_actor(const char *reason)
{
	RoleEntry  *e = actor_role_entry();
	TimestampTz now;
	bool		tripped = false;

	if (e == nullptr)
		return false;
	now = breaker_now();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (e->role == actor_oid)
		tripped = trip_locked(e, reason, now);
	LWLockRelease(shared->lock);
	if (tripped)
		announce_trip(actor_oid, reason, now);
	return tripped;
}

bool
breaker_note_refusal(void)
{
	RoleEntry  *e;
	int64		window = current_window();
	TimestampTz now;
	bool		tripped = false;
	int64		n = 0;
	char		reason[512];

	if (shared == nullptr || !session_is_guarded())
		return false;
	e = actor_role_entry();
	if (e == nullptr)
		return false;
	now = breaker_now();
	snprintf(reason, sizeof(reason), "%d refusals within %s (agentguard.breaker_blocks)", guc_breaker_blocks,
			 GetConfigOptionByName("agentguard.budget_window", nullptr, false));
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (e->role == actor_oid)
	{
		window_add(&e->refusals, now, window, 1);
		e->window_usecs = window;
		e->last_change = now;
		n = window_sum(&e->refusals, now, window);
		if (guc_breaker_blocks > 0 && n >= guc_breaker_blocks)
			tripped = trip_locked(e, reason, now);
	}
	LWLockRelease(shared->lock);
	if (tripped)
		announce_trip(actor_oid, reason, now);
	return tripped;
}

void
breaker_refuse_if_open(const char *command)
{
	RoleEntry  *e;
	TimestampTz at;
	char		reason[512];

	if (shared == nullptr || guc_mode == AG_MODE_OFF || preview_active)
		return;
	e = actor_role_entry();
	if (e == nullptr || likely(pg_atomic_read_u32(&e->open) == 0))
		return;
	LWLockAcquire(shared->lock, LW_SHARED);
	at = e->tripped_at;
	snprintf(reason, sizeof(reason), "%s", e->reason);
	LWLockRelease(shared->lock);
	ereport(LOG,
			(errmsg_internal("pg_agentguard: decision=breaker agent=%s command=%s: refused, the circuit breaker is open",
							 role_name(actor_oid), command),
			 errhidestmt(true), errhidecontext(true)));
	/* warn mode is a dry run of the whole guard: the statement runs, with the same text as a WARNING */
	ereport(guc_mode == AG_MODE_ENFORCE ? ERROR : WARNING,
			(errcode(ERRCODE_AGENTGUARD_BREAKER_OPEN),
			 errmsg("%s refused: the circuit breaker of agent \"%s\" is open", command, role_name(actor_oid)),
			 errdetail("Tripped at %s. Reason: %s. Nothing was changed; reads still work.",
					   timestamptz_to_str(at), reason),
			 errhint("A human approver closes it with: %s Do not try to get around the guard; report what you were doing to a human.",
					 reset_call(actor_oid)),
			 errhidestmt(true)));
}

/* ---------------------------------------------------------------------------------------------------
 * For the SQL functions */

int
breaker_snapshot(BreakerRow **rows)
{
	BreakerRow *out = static_cast<BreakerRow *>(palloc0(sizeof(BreakerRow) * AG_BREAKER_ROLES));
	TimestampTz now;
	int			n = 0;

	*rows = out;
	if (shared == nullptr)
		return 0;
	now = breaker_now();
	LWLockAcquire(shared->lock, LW_SHARED);
	for (int i = 0; i < AG_BREAKER_ROLES; i++)
	{
		RoleEntry  *e = &shared->roles[i];
		BreakerRow *r = &out[n];

		if (e->role == InvalidOid)
			continue;
		r->role = e->role;
		r->open = pg_atomic_read_u32(&e->open) != 0;
		r->tripped_at = e->tripped_at;
		snprintf(r->reason, sizeof(r->reason), "%s", e->reason);
		r->rows = window_sum(&e->rows, now, e->window_usecs);
		r->refusals = window_sum(&e->refusals, now, e->window_usecs);
		r->window_secs = e->window_usecs / USECS_PER_SEC;
		n++;
	}
	LWLockRelease(shared->lock);
	return n;
}

bool
breaker_trip(Oid role, const char *reason)
{
	RoleEntry  *e;
	TimestampTz now = breaker_now();
	bool		tripped = false;

	if (shared == nullptr)
		return false;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = find_or_add_role(role, now);
	if (e != nullptr)
		tripped = trip_locked(e, reason, now);
	LWLockRelease(shared->lock);
	if (e == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("no room for another circuit breaker"),
				 errdetail("pg_agentguard keeps the breakers of at most %d agent roles.", AG_BREAKER_ROLES)));
	if (tripped)
		save_now();
	return tripped;
}

/* Closes the breaker and starts the agent's window afresh (rows, per-table rows and refusals). */
bool
breaker_reset(Oid role)
{
	RoleEntry  *e;
	bool		was_open = false;

	if (shared == nullptr)
		return false;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = find_role(role);
	if (e != nullptr)
	{
		was_open = pg_atomic_read_u32(&e->open) != 0;
		pg_atomic_write_u32(&e->open, 0);
		e->reason[0] = '\0';
		e->tripped_at = 0;
		memset(&e->rows, 0, sizeof(Window));
		memset(&e->refusals, 0, sizeof(Window));
		for (int i = 0; i < AG_BREAKER_TABLES; i++)
			if (shared->tables[i].role == role)
				memset(&shared->tables[i].rows, 0, sizeof(Window));
	}
	LWLockRelease(shared->lock);
	save_now();
	return was_open;
}

int64
breaker_clock_advance(int64 usecs)
{
	if (shared == nullptr)
		return 0;
	return (int64) pg_atomic_add_fetch_u64(&shared->clock_offset, (uint64) usecs);
}

void
breaker_init(void)
{
#if AG_HAVE_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = breaker_shmem_request;
#else
	breaker_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = breaker_shmem_startup;
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, actor_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, actor_invalidate, (Datum) 0);
}

}  // namespace agentguard
