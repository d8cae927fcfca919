/*
 * breaker.cpp — budgets across statements and the circuit breaker of each agent role (SPEC §8): who the
 * agent of a session is, what its budgets still allow, accounting, refusals, trips and resets. The
 * shared state, its lock protocol and its file are in breaker_store.cpp. See breaker.hpp.
 */
#include "pg/pg_headers.hpp"

#include <cmath>

#include "pg/breaker.hpp"
#include "pg/breaker_store.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/table_size.hpp"

namespace agentguard {

#define shared breaker_shared

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
	e = find_or_add_role(a, breaker_now(), current_window());
	LWLockRelease(shared->lock);
	actor_entry = e;
	return e;
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
	out->fraction_on = false;
	if (e == nullptr)
		return;
	out->fraction_on = guc_budget_fraction < 1.0;
	now = statement_now();
	LWLockAcquire(shared->lock, LW_SHARED);
	if (e->role == actor_oid)
	{
		TableEntry *t = find_table(actor_oid, relid, false, now, window);
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
		TableEntry *t = find_table(actor_oid, relid, true, now, window);

		/* refresh the cached sums first, so that the adds keep them valid for the next check */
		window_sum_store(&e->rows, now, window);
		window_add(&e->rows, now, window, rows);
		e->window_usecs = window;
		e->last_change = now;
		if (t != nullptr)
		{
			if (window_sum_store(&t->rows, now, window) == 0)
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

int64
breaker_table_threshold(const BudgetView *v, double size)
{
	double		eff = v->table_size;
	int64		allowed;

	if (!v->fraction_on)
		return PG_INT64_MAX;
	if (size > eff)
		eff = size;
	if (size < 0 && eff <= AG_BUDGET_FRACTION_MIN_TABLE_ROWS)
		eff = AG_BUDGET_FRACTION_MIN_TABLE_ROWS + 1;	/* the smallest table the rule applies to */
	else if (eff <= AG_BUDGET_FRACTION_MIN_TABLE_ROWS)
		return PG_INT64_MAX;
	allowed = budget_fraction_rows(v->fraction, eff);
	return allowed > v->table_changed ? allowed - v->table_changed : 0;
}

int64
budget_fraction_rows(double fraction, double size)
{
	double		p = fraction * size;

	if (!(p > 0))
		return 0;
	/* snap a product that is whole but for rounding (0.29 * 100) before rounding down */
	if (std::fabs(p - std::rint(p)) < 1e-9 * (p > 1 ? p : 1))
		p = std::rint(p);
	return (int64) std::floor(p);
}

static char *role_name(Oid role);

char *
breaker_budget_reason(const BudgetView *v, double size, bool total)
{
	const char *window = GetConfigOptionByName("agentguard.budget_window", nullptr, false);
	const char *tail = guc_mode == AG_MODE_ENFORCE ? "; the agent's circuit breaker is now open" : "";
	double		eff = v->table_size > size ? v->table_size : size;

	if (total)
		return psprintf("would bring the rows changed by agent \"%s\" within %s to more than " INT64_FORMAT
						" (agentguard.budget_rows, %s)%s",
						role_name(actor_oid), window, budget_rows_effective(),
						setting_origin("agentguard.budget_rows"), tail);
	return psprintf("would change more than " INT64_FORMAT " of its %.0f rows within %s "
					"(agentguard.budget_fraction %g, %s)%s",
					budget_fraction_rows(v->fraction, eff), eff, window, v->fraction,
					setting_origin("agentguard.budget_fraction"), tail);
}

static int64
exact_small_count(Relation rel)
{
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, nullptr);
	TupleTableSlot *slot = table_slot_create(rel, nullptr);
	int64		n = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		n++;
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	return n;
}

/* One relation with storage: a never-analysed table of under 10 pages is counted (PostgreSQL's
 * estimate assumes 10 pages for it), any other from the planner's estimate. */
static double
leaf_size(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	double		rows = 0;

	if (rel == nullptr)
		return 0;
	if (rel->rd_rel->relkind == RELKIND_RELATION || rel->rd_rel->relkind == RELKIND_MATVIEW)
	{
		BlockNumber pages;
		double		tuples;
		double		allvisfrac;

		if (rel->rd_rel->reltuples < 0 && RelationGetNumberOfBlocks(rel) < 10 && ActiveSnapshotSet())
			rows = (double) exact_small_count(rel);
		else
		{
			estimate_rel_size(rel, nullptr, &pages, &tuples, &allvisfrac);
			rows = tuples;
		}
	}
	relation_close(rel, AccessShareLock);
	return rows;
}

double
breaker_table_size(Oid relid)
{
	return table_rows_with(relid, leaf_size);
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
	breaker_save_now();
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
		n = window_sum_store(&e->refusals, now, window);
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
	e = find_or_add_role(role, now, current_window());
	if (e != nullptr)
		tripped = trip_locked(e, reason, now);
	LWLockRelease(shared->lock);
	if (e == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("no room for another circuit breaker"),
				 errdetail("pg_agentguard keeps the breakers of at most %d agent roles.", AG_BREAKER_ROLES)));
	if (tripped)
		breaker_save_now();
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
		window_clear(&e->rows);
		window_clear(&e->refusals);
		for (int i = 0; i < AG_BREAKER_TABLES; i++)
			if (shared->tables[i].role == role)
				window_clear(&shared->tables[i].rows);
	}
	LWLockRelease(shared->lock);
	breaker_save_now();
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
	breaker_store_init();
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, actor_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, actor_invalidate, (Datum) 0);
}

}  // namespace agentguard
