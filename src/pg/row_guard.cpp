/*
 * row_guard.cpp — the rows an agent's statement changes, counted per target table, and the stop at
 * the table's limit (SPEC §3 "Data-destroying DML"). Which plan nodes are targets: plan_targets.cpp;
 * where a statement begins and ends: statement_scope.cpp; the arithmetic: core/row_budget.hpp.
 *
 * Oversized: the rows really changed are counted per target table, and the statement is stopped
 * before it fetches the input row after the one that crossed the limit.
 *
 * How rows are counted
 * PostgreSQL counts, per relation and per (sub)transaction level, the heap tuples it really updated or
 * deleted (PgStat_TableXactStatus: tuples_updated, tuples_deleted, chained through ->upper). A row
 * updated twice by one statement, a row a BEFORE trigger skipped, a row EvalPlanQual found gone: none
 * counts; a subtransaction that rolled back (an EXCEPTION block that caught our error) takes its rows
 * back out. So for each leaf relation the guard notes that sum when the top-level statement first
 * touches it (the baseline) and reads "sum - baseline" later. A partitioned (or inheritance) table is
 * one target: its leaves are summed, a partition named directly counts toward its partitioned root, and
 * its size is the sum of its leaves' sizes. Where PostgreSQL keeps no counts (track_counts = off, a
 * table access method other than heap, a foreign table) the guard counts the input rows fetched for the
 * table instead, an upper bound.
 *
 * Reading the counters for every input row would cost too much. Each input row of a ModifyTable
 * changes at most one row of its target, so a root keeps a budget: the rows still allowed at its last
 * exact count. Every fetch for that root spends one; only an empty budget makes the guard count again.
 *
 * Memory: the root and leaf arrays live in TopMemoryContext for the backend's life and are emptied
 * (not freed) when a statement ends, so a statement allocates nothing. Arrays are small (one entry per
 * target table / leaf) and searched linearly.
 *
 * Error boundaries: this file is C-style glue; the C++ core is reached only through ag_cpp_call().
 */
#include "pg/pg_headers.hpp"

#include <cstdint>

#include "core/policy.hpp"
#include "core/row_budget.hpp"
#include "pg/breaker.hpp"
#include "pg/dml_approval.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/names.hpp"
#include "pg/pg_guard.hpp"
#include "pg/plan_targets.hpp"
#include "pg/row_guard.hpp"
#include "pg/statement_scope.hpp"
#include "pg/table_size.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

enum RootKind
{
	ROOT_EXACT = 0,				/* PostgreSQL's per-transaction counters are read */
	ROOT_FETCHED = 1,			/* no counters: input rows fetched, an upper bound */
	ROOT_UNCOUNTED = 2			/* a view: its INSTEAD OF triggers' statements are counted instead */
};

struct Root
{
	Oid			relid;
	RootKind	kind;
	CmdType		operation;		/* of the first statement that touched it, for the texts */
	bool		sized;			/* threshold includes the table size */
	bool		exceeded;		/* warn mode: crossed, report at the end */
	int64		threshold;		/* most rows allowed so far */
	int64		budget;			/* fetches allowed before counting again */
	int64		fetched;		/* input rows fetched for it, all frames */
	double		table_rows;		/* -1 until sized */
	int64		stmt_threshold;	/* the statement's own limit (threshold is lower when a budget is) */
	bool		by_budget;		/* crossed a budget (breaker.hpp), not the statement's limit */
	double		budget_size;	/* its size for agentguard.budget_fraction, -1 until sized */
	BudgetView	bv;				/* the agent's window for this table when the statement began it */
	bool		approved;		/* the statement's token covers it: its rows are not counted */
};

/* A leaf keeps no pointer to its statistics entry: PostgreSQL frees pending entries when a relation
 * created or dropped in a transaction goes away with it (a ROLLBACK or a DROP inside CALL), so the
 * entry is looked up by OID at every exact count (a hash lookup, once per budget, not per row). */
struct Leaf
{
	Oid			relid;
	int			root;			/* index into roots */
	int64		baseline;		/* changed-row sum when the statement first touched it */
	int64		carried;		/* rows changed in transactions a procedure committed meanwhile */
};

/* What the running statement counted. */
struct Counts
{
	int64		approved_token;	/* > 0: its record is written when the statement ends, with the count */
	Oid			approved_relid;
	CmdType		approved_op;
	char		approved_reason[256];
	bool		limits_read;
	RowLimits	limits;
	int64		threshold_nosize;
	bool		budgets_read;	/* total_left holds the agent's total budget */
	int64		total_left;		/* rows all tables may still change (agentguard.budget_rows) */
	int64		total_budget;	/* fetches allowed before the statement's total is counted again */
	Root	   *roots;
	int			nroots;
	int			maxroots;
	Leaf	   *leaves;
	int			nleaves;
	int			maxleaves;
};

/* One wrapped ModifyTable input: the executor calls ag_fetch instead of the input's own function. */
struct Wrap
{
	PlanState  *input;
	ExecProcNodeMtd real;
	EState	   *estate;
	ModifyTableState *mt;
	bool		routed;			/* INSERT ... ON CONFLICT into a partitioned table */
	uint64		generation;		/* of the statement it was attached to */
	int			root;			/* index into counts.roots of that generation */
};

static Counts counts;

static Wrap *wraps = nullptr;	/* in TopMemoryContext */
static int	nwraps = 0;
static int	maxwraps = 0;

static void attach_wrap(int i);

/* ---------------------------------------------------------------------------------------------
 * Statement boundaries
 * --------------------------------------------------------------------------------------------- */

void
row_guard_statement_begin(void)
{
	dml_approval_reset();
	counts.approved_token = 0;
	counts.limits_read = false;
	counts.budgets_read = false;
	counts.total_budget = kNoRowLimit;
	counts.nroots = 0;
	counts.nleaves = 0;
}

void
row_guard_statement_reset(void)
{
	counts.nroots = 0;
	counts.nleaves = 0;
	dml_approval_reset();
	counts.approved_token = 0;
}

bool
row_guard_counted_anything(void)
{
	return counts.nroots > 0;
}

bool
row_guard_has_wraps(void)
{
	return nwraps > 0;
}

/* ---------------------------------------------------------------------------------------------
 * Counting
 * --------------------------------------------------------------------------------------------- */

static int64
changed_in_xact(const PgStat_TableStatus *st)
{
	int64		n = 0;

	if (st == nullptr)
		return 0;
	for (const PgStat_TableXactStatus *t = st->trans; t != nullptr; t = t->upper)
		n += t->tuples_updated + t->tuples_deleted;
	return n;
}

/* The changed-row sum of this transaction for one relation, 0 when PostgreSQL keeps none for it. */
static int64
changed_in_xact_by_id(Oid relid)
{
	return changed_in_xact(find_tabstat_entry_compat(relid));
}

static int64
root_count(int r)
{
	Root	   *root = &counts.roots[r];
	int64		n = 0;

	if (root->kind != ROOT_EXACT)
		return root->fetched;
	for (int i = 0; i < counts.nleaves; i++)
	{
		Leaf	   *l = &counts.leaves[i];
		int64		d;

		if (l->root != r)
			continue;
		d = rows_changed(changed_in_xact_by_id(l->relid), l->baseline, l->carried);
		n = n > kNoRowLimit - d ? kNoRowLimit : n + d;
	}
	return n;
}

static void
read_limits(void)
{
	RowLimits  *lim = &counts.limits;
	int64		t = INT64_MAX;

	lim->max_rows = guc_max_rows;
	lim->max_fraction = guc_max_fraction;
	lim->fraction_min_rows = guc_fraction_min_rows;
	ag_cpp_call("computing a row limit", [&]() { t = row_threshold_without_size(*lim); });
	counts.threshold_nosize = t;
	counts.limits_read = true;
}

/* "would change more than N rows (<setting>, <where it came from>)": the limit and its origin, so the
 * agent knows what stopped it and a human knows what to change. */
static char *
limit_reason(const Root *root)
{
	if (root->by_budget)
		return breaker_budget_reason(&root->bv, root->budget_size, false);
	LimitOrigin origin = limit_origin(counts.limits, root->threshold);

	if (origin == LimitOrigin::MaxRows)
		return psprintf("would change more than " INT64_FORMAT " rows (agentguard.max_rows, %s)",
						root->threshold, setting_origin("agentguard.max_rows"));
	if (origin == LimitOrigin::FractionMinRows)
		return psprintf("would change more than " INT64_FORMAT " rows, over %g%% of its about %.0f rows "
						"(agentguard.max_fraction, %s; agentguard.fraction_min_rows, %s)",
						root->threshold, counts.limits.max_fraction * 100.0,
						root->table_rows > 0 ? root->table_rows : 0.0, setting_origin("agentguard.max_fraction"),
						setting_origin("agentguard.fraction_min_rows"));
	return psprintf("would change more than " INT64_FORMAT " rows, %g%% of its about %.0f rows "
					"(agentguard.max_fraction, %s)",
					root->threshold, counts.limits.max_fraction * 100.0,
					root->table_rows > 0 ? root->table_rows : 0.0, setting_origin("agentguard.max_fraction"));
}

static Action
decide_dml(int64 token_id)
{
	Facts		f;
	Action		a = Action::Block;

	f.cls = StatementClass::DestructiveDml;
	f.mode = static_cast<Mode>(guc_mode);
	f.token_valid = token_id > 0;
	ag_cpp_call("deciding on a statement", [&]() { a = decide(f); });
	return a;
}

/* The tables a new request names: relid first (the one over its limit), then those the statement's
 * token already approved, so that one approval covers them all. */
static void
request_objects(Oid relid, Intercept *ic)
{
	List	   *names = list_make1(relation_display_name(relid));
	List	   *oids = dml_reach(relid);

	for (int r = 0; r < counts.nroots; r++)
	{
		if (!counts.roots[r].approved || counts.roots[r].relid == relid)
			continue;
		names = lappend(names, relation_display_name(counts.roots[r].relid));
		oids = list_concat_unique_oid(oids, dml_reach(counts.roots[r].relid));
	}
	ic->objects = names;
	ic->object_oids = oids;
}

static void
mark_root_approved(Oid relid)
{
	for (int r = 0; r < counts.nroots; r++)
		if (counts.roots[r].relid == relid)
		{
			counts.roots[r].approved = true;
			counts.roots[r].budget = kNoRowLimit;
		}
}

/* Set while the guard stops a statement for crossing a budget (row_guard_intercept trips the breaker). */
static bool trip_on_block = false;

bool
row_guard_intercept(Oid relid, CmdType op, const char *reason, int64 rows, bool warn_now)
{
	int64		token_id;
	Action		action;
	Intercept	ic;

	if (dml_approval_covers(relid))
		return true;			/* approved earlier in this statement (unqualified, then its rows) */
	/* a preview is rolled back: no token is consulted (nor used up) for it */
	token_id = preview_active ? 0 : dml_approval_try(relid, statement_text_now());
	action = decide_dml(token_id);

	if (action == Action::Allow || action == Action::AllowTemp)
		return true;
	if (action == Action::Warn && !warn_now)
		return true;			/* reported with the final count when the statement ends */
	if (action == Action::Approved)
	{
		/* Recorded when the statement ends, with the rows it really changed (row_guard_statement_end). */
		mark_root_approved(relid);
		counts.approved_token = token_id;
		counts.approved_relid = relid;
		counts.approved_op = op;
		snprintf(counts.approved_reason, sizeof(counts.approved_reason), "%s", reason != nullptr ? reason : "");
		return true;
	}
	memset(&ic, 0, sizeof(ic));
	ic.kind = INTERCEPT_DESTRUCTIVE_DML;
	ic.decision = action == Action::Warn ? DECISION_WARNED : DECISION_BLOCKED;
	ic.command = dml_operation_name(op);
	ic.statement = statement_text_now();
	request_objects(relid, &ic);
	ic.reason = reason;
	ic.rows_affected = rows;
	ic.token_id = token_id;
	/* crossing a budget opens the agent's breaker; an approved statement cannot trip it */
	if (ic.decision == DECISION_BLOCKED && trip_on_block)
		breaker_trip_actor(psprintf("%s on %s %s", ic.command, relation_display_name(relid), reason));
	report_intercept(&ic);		/* a block raises the ERROR here */
	return true;
}

/* The approved statement's record: the rows it changed in the approved table (-1 when not counted). */
static void
report_approved(void)
{
	Intercept	ic;
	int64		n = -1;

	for (int r = 0; r < counts.nroots; r++)
		if (counts.roots[r].relid == counts.approved_relid && counts.roots[r].kind != ROOT_UNCOUNTED)
			n = root_count(r);
	memset(&ic, 0, sizeof(ic));
	ic.kind = INTERCEPT_DESTRUCTIVE_DML;
	ic.decision = DECISION_APPROVED;
	ic.command = dml_operation_name(counts.approved_op);
	ic.statement = statement_text_now();
	ic.objects = list_make1(relation_display_name(counts.approved_relid));
	ic.object_oids = list_make1_oid(counts.approved_relid);
	ic.reason = pstrdup(counts.approved_reason);
	ic.rows_affected = n;
	ic.token_id = counts.approved_token;
	counts.approved_token = 0;
	report_intercept(&ic);
}

/* Stops the statement for crossing a limit (by_budget: a budget, which also trips the breaker). A
 * preview counts on instead: it checks again at the next row, so the rows of the statement that runs
 * it are still counted exactly once the preview is rolled back. */
static void
stop_root(int r, CmdType op, int64 n, bool by_budget, const char *reason)
{
	Root	   *root = &counts.roots[r];

	if (preview_active)
	{
		root->budget = 0;
		counts.total_budget = 0;
		return;
	}
	root->by_budget = by_budget;
	if (guc_mode != AG_MODE_WARN)
	{
		trip_on_block = by_budget;
		row_guard_intercept(root->relid, op, reason != nullptr ? reason : limit_reason(root), n, false);
		trip_on_block = false;
	}
	/* warn mode (or approved): no more counting; warn mode reports the final count at the end */
	root = &counts.roots[r];
	root->exceeded = !root->approved;
	root->budget = kNoRowLimit;
	counts.total_budget = kNoRowLimit;
}

/* Counts exactly; raises the ERROR when the root is beyond its limit; refills the budget. */
static void
check_root(int r, CmdType op)
{
	Root	   *root = &counts.roots[r];
	int64		n = root_count(r);

	if (needs_table_size(n, root->threshold, root->sized))
	{
		double		rows = table_rows_with(root->relid, estimated_leaf_rows);
		double		bsize = root->bv.fraction_on ? breaker_table_size(root->relid) : -1;
		int64		t = INT64_MAX;
		int64		bt;

		root = &counts.roots[r];
		root->table_rows = rows;
		root->budget_size = bsize;
		root->sized = true;
		ag_cpp_call("computing a row limit", [&]() { t = row_threshold(counts.limits, rows); });
		root->stmt_threshold = t;
		bt = breaker_table_threshold(&root->bv, bsize >= 0 ? bsize : 0);
		root->threshold = bt < t ? bt : t;
	}
	if (over_threshold(n, root->threshold))
	{
		stop_root(r, op, n, n <= root->stmt_threshold, nullptr);	/* a block does not return */
		return;
	}
	root->budget = budget_after_count(n, root->threshold);
}

/* The statement's rows in all tables against the agent's total budget (agentguard.budget_rows). */
static void
check_total(int r, CmdType op)
{
	int64		sum = 0;

	for (int i = 0; i < counts.nroots; i++)
		if (counts.roots[i].kind != ROOT_UNCOUNTED)
		{
			int64		n = root_count(i);

			sum = sum > kNoRowLimit - n ? kNoRowLimit : sum + n;
		}
	if (over_threshold(sum, counts.total_left))
	{
		stop_root(r, op, sum, true, breaker_budget_reason(&counts.roots[r].bv, -1, true));
		return;
	}
	counts.total_budget = budget_after_count(sum, counts.total_left);
}

/* The replacement for a destructive ModifyTable's input: count, then fetch. */
static TupleTableSlot *
ag_fetch(PlanState *input)
{
	ExecProcNodeMtd real = nullptr;
	int			i;

	for (i = nwraps - 1; i >= 0; i--)
		if (wraps[i].input == input)
			break;
	if (i < 0)
		elog(ERROR, "pg_agentguard: lost track of a modifying plan");
	real = wraps[i].real;

	if (statement_active())
	{
		int			r;

		/* A query that outlived the statement it started in (a portal run later) is counted anew. */
		if (wraps[i].generation != statement_generation())
			attach_wrap(i);
		r = wraps[i].root;
		if (r >= 0 && counts.roots[r].kind != ROOT_UNCOUNTED && !counts.roots[r].approved)
		{
			Root	   *root = &counts.roots[r];

			if (!budget_spend(root->budget))
			{
				check_root(r, wraps[i].mt->operation);	/* raises the ERROR when beyond the limit */
				root = &counts.roots[r];
				budget_spend(root->budget);
			}
			if (!budget_spend(counts.total_budget))
			{
				check_total(r, wraps[i].mt->operation);
				budget_spend(counts.total_budget);
				root = &counts.roots[r];
			}
			root->fetched++;
		}
	}
	return real(input);
}

/* ---------------------------------------------------------------------------------------------
 * Attaching ModifyTables to the statement
 * --------------------------------------------------------------------------------------------- */

static int
find_or_add_root(Oid relid, CmdType op, RootKind kind)
{
	MemoryContext old;
	Root	   *r;

	for (int i = 0; i < counts.nroots; i++)
		if (counts.roots[i].relid == relid)
		{
			if (kind == ROOT_FETCHED && counts.roots[i].kind == ROOT_EXACT)
				counts.roots[i].kind = ROOT_FETCHED;
			return i;
		}
	if (!counts.limits_read)
		read_limits();
	/* the arrays live for the backend and are reused by every statement: no allocation per statement */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (counts.nroots == counts.maxroots)
	{
		counts.maxroots = counts.maxroots == 0 ? 4 : counts.maxroots * 2;
		counts.roots = counts.roots == nullptr ? static_cast<Root *>(palloc(sizeof(Root) * counts.maxroots))
			: static_cast<Root *>(repalloc(counts.roots, sizeof(Root) * counts.maxroots));
	}
	MemoryContextSwitchTo(old);
	r = &counts.roots[counts.nroots];
	r->relid = relid;
	r->kind = kind;
	r->operation = op;
	r->sized = false;
	r->exceeded = false;
	r->threshold = counts.threshold_nosize;
	r->stmt_threshold = r->threshold;
	r->by_budget = false;
	r->budget_size = -1;
	/* The agent's budgets: the rows this table may still change before its size is known (a lower
	 * bound), and the statement's total; one shared read of the window per table and statement. */
	breaker_budget_view(relid, &r->bv);
	{
		int64		bt = breaker_table_threshold(&r->bv, -1);

		if (bt < r->threshold)
			r->threshold = bt;
	}
	if (!counts.budgets_read)
	{
		counts.total_left = r->bv.total_left;
		counts.total_budget = counts.total_left;
		counts.budgets_read = true;
	}
	/* Nothing of it changed yet in this statement: every later change is one of its frames' fetches,
	 * each of which spends from this shared budget. */
	r->budget = r->threshold;
	r->fetched = 0;
	r->table_rows = -1;
	r->approved = false;
	counts.nroots++;
	if (dml_approval_covers(relid))
		mark_root_approved(relid);
	return counts.nroots - 1;
}

static void
add_leaf(Oid relid, int root)
{
	MemoryContext old;
	Leaf	   *l;

	for (int i = 0; i < counts.nleaves; i++)
		if (counts.leaves[i].relid == relid && counts.leaves[i].root == root)
			return;				/* (a leaf first seen without counters has its baseline at 0) */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (counts.nleaves == counts.maxleaves)
	{
		counts.maxleaves = counts.maxleaves == 0 ? 8 : counts.maxleaves * 2;
		counts.leaves = counts.leaves == nullptr ? static_cast<Leaf *>(palloc(sizeof(Leaf) * counts.maxleaves))
			: static_cast<Leaf *>(repalloc(counts.leaves, sizeof(Leaf) * counts.maxleaves));
	}
	MemoryContextSwitchTo(old);
	l = &counts.leaves[counts.nleaves++];
	l->relid = relid;
	l->root = root;
	l->baseline = changed_in_xact_by_id(relid);
	l->carried = 0;
}

/* Whether PostgreSQL keeps per-transaction changed-row counts for this relation. */
static bool
leaf_counters(Relation rel)
{
	if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_MATVIEW)
		return false;
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		return false;
	/* Same association the executor's first count would make; done now so the baseline is exact. */
	if (rel->pgstat_info == nullptr && rel->pgstat_enabled)
		pgstat_assoc_relation(rel);
	return rel->pgstat_info != nullptr;
}

/* The partitioned root a directly named partition counts toward. */
static Oid
canonical_root(Relation rel)
{
	List	   *ancestors;
	Oid			top;

	if (!rel->rd_rel->relispartition)
		return RelationGetRelid(rel);
	ancestors = get_partition_ancestors(RelationGetRelid(rel));
	top = ancestors != NIL ? llast_oid(ancestors) : RelationGetRelid(rel);
	list_free(ancestors);
	return top;
}

static void
attach_wrap(int i)
{
	Wrap	   *w = &wraps[i];
	ModifyTableState *mt = w->mt;
	Relation	target = mt->rootResultRelInfo != nullptr ? mt->rootResultRelInfo->ri_RelationDesc
		: mt->resultRelInfo[0].ri_RelationDesc;
	char		kind = target->rd_rel->relkind;
	RootKind	rk = ROOT_EXACT;
	int			r;

	/* a view: its INSTEAD OF triggers' statements are counted instead; the session's own temporary
	 * tables are never counted (decided on the relation's persistence, not on its name) */
	if (kind == RELKIND_VIEW || target->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		rk = ROOT_UNCOUNTED;
	r = find_or_add_root(canonical_root(target), mt->operation, rk);
	for (int j = 0; j < mt->mt_nrels; j++)
	{
		Relation	rel = mt->resultRelInfo[j].ri_RelationDesc;

		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || rel->rd_rel->relkind == RELKIND_VIEW)
			continue;			/* no rows of its own */
		if (!leaf_counters(rel))
			counts.roots[r].kind = rk == ROOT_UNCOUNTED ? ROOT_UNCOUNTED : ROOT_FETCHED;
		add_leaf(RelationGetRelid(rel), r);
	}
	if (w->routed)
	{
		/* INSERT ... ON CONFLICT DO UPDATE routes rows to partitions it opens on the way: baseline every
		 * partition now, and find the counters of those not yet counted by OID later. */
		List	   *members = find_all_inheritors(RelationGetRelid(target), NoLock, nullptr);
		ListCell   *lc;

		if (!pgstat_track_counts)
			counts.roots[r].kind = ROOT_FETCHED;
		foreach(lc, members)
			add_leaf(lfirst_oid(lc), r);
		list_free(members);
	}
	w = &wraps[i];
	w->root = r;
	w->generation = statement_generation();
}

static void
add_wrap(ModifyTableState *mt, EState *estate)
{
	PlanState  *input = outerPlanState(mt);
	Wrap	   *w;

	if (input == nullptr || input->ExecProcNodeReal == ag_fetch)
		return;
	if (nwraps == maxwraps)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		maxwraps = maxwraps == 0 ? 8 : maxwraps * 2;
		wraps = wraps == nullptr ? static_cast<Wrap *>(palloc(sizeof(Wrap) * maxwraps))
			: static_cast<Wrap *>(repalloc(wraps, sizeof(Wrap) * maxwraps));
		MemoryContextSwitchTo(old);
	}
	w = &wraps[nwraps];
	w->input = input;
	w->real = input->ExecProcNodeReal;
	w->estate = estate;
	w->mt = mt;
	w->routed = mt->operation == CMD_INSERT &&
		mt->resultRelInfo[0].ri_RelationDesc->rd_rel->relkind == RELKIND_PARTITIONED_TABLE;
	w->generation = 0;
	w->root = -1;
	nwraps++;
	/* ExecProcNodeFirst copies ExecProcNodeReal into ExecProcNode on the first call (directly or
	 * under instrumentation), so replacing the Real pointer catches every later fetch. */
	input->ExecProcNodeReal = ag_fetch;
	attach_wrap(nwraps - 1);
}

static void
attach_plan_state(PlanState *ps, EState *estate)
{
	if (ps == nullptr || !IsA(ps, ModifyTableState))
		return;
	if (!is_destructive_modify(castNode(ModifyTable, ps->plan)))
		return;
	add_wrap(castNode(ModifyTableState, ps), estate);
}

void
row_guard_attach(QueryDesc *queryDesc)
{
	ListCell   *lc;

	attach_plan_state(queryDesc->planstate, queryDesc->estate);
	foreach(lc, queryDesc->estate->es_subplanstates)
		attach_plan_state(static_cast<PlanState *>(lfirst(lc)), queryDesc->estate);
}

void
row_guard_detach(EState *estate)
{
	int			j = 0;

	if (estate == nullptr)
		return;
	for (int i = 0; i < nwraps; i++)
		if (wraps[i].estate != estate)
			wraps[j++] = wraps[i];
	nwraps = j;
}

void
row_guard_forget_wraps(void)
{
	nwraps = 0;
}

/* ---------------------------------------------------------------------------------------------
 * End of a statement, and of transactions inside one
 * --------------------------------------------------------------------------------------------- */

void
statement_rows_final(Oid relid, CmdType op, int64 rows, double size)
{
	(void) op;
	breaker_account(relid, rows, size);
}

void
row_guard_statement_end(bool emit)
{
	if (!emit)
		return;
	if (counts.approved_token > 0)
		report_approved();
	for (int r = 0; r < counts.nroots; r++)
	{
		Root	   *root = &counts.roots[r];

		if (root->kind != ROOT_UNCOUNTED)
			statement_rows_final(root->relid, root->operation, root_count(r), root->budget_size);
		root = &counts.roots[r];
		if (!root->exceeded || root->approved)
			continue;
		root->exceeded = false;
		if (guc_mode == AG_MODE_OFF)
			continue;
		{
			int64		n = root_count(r);
			char	   *reason = limit_reason(&counts.roots[r]);

			/* warn mode: the statement ran to the end; tell the real count */
			row_guard_intercept(counts.roots[r].relid, counts.roots[r].operation, reason, n, true);
		}
	}
}

void
row_guard_xact_precommit(void)
{
	for (int i = 0; i < counts.nleaves; i++)
	{
		Leaf	   *l = &counts.leaves[i];

		l->carried = rows_changed(changed_in_xact_by_id(l->relid), l->baseline, l->carried);
		l->baseline = 0;
	}
}

void
row_guard_xact_rollback_in_statement(void)
{
	for (int i = 0; i < counts.nleaves; i++)
		counts.leaves[i].baseline = 0;
}

}  // namespace agentguard
