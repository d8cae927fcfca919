/*
 * executor_hooks.cpp — the blast-radius guard for agents' DELETE, UPDATE, MERGE and
 * INSERT ... ON CONFLICT DO UPDATE (SPEC §3 "Data-destroying DML").
 *
 * Contract
 * - Only guarded sessions are judged; a human's statement pays one cached test per hook. Parallel
 *   workers never judge (they never modify rows), nor does pg_agentguard's own SQL (internal_depth).
 * - Targets are read from the plan, not from the command type: every ModifyTable at the top of the
 *   main plan or of a writable CTE's subplan, wherever the query came from (top level, SPI in functions,
 *   triggers, DO, EXECUTE, rules, foreign-key actions, COPY (query) TO, EXPLAIN ANALYZE).
 * - An unqualified DELETE/UPDATE (its input plan holds no qualification at all) is refused in
 *   ExecutorStart, before PostgreSQL opens anything, whatever the table's size.
 * - Oversized: the rows really changed are counted per target table, and the statement is stopped
 *   before it fetches the input row after the one that crossed the limit.
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
 * The top-level statement
 * Rows changed by nested statements — functions, triggers, foreign-key ON DELETE CASCADE / ON UPDATE
 * actions (which PostgreSQL runs through SPI while it finishes the outer query) — count toward the
 * statement that caused them: every check compares the whole statement's total for the table with the
 * table's limit. The top-level statement is the outermost active query or utility statement of the
 * backend; ExecutorStart, Run, Finish and End of one QueryDesc are one statement. A DO block or a
 * procedure that loops over single-row DELETEs is therefore one statement and is stopped once the loop
 * as a whole crosses the limit. Separate statements of one query string are judged on their own.
 * A procedure that COMMITs or ROLLs BACK inside CALL starts fresh PostgreSQL counters: at commit the
 * guard carries the rows changed so far forward; at rollback they are gone, as are their rows.
 *
 * Error boundaries: this file is C-style glue; the C++ core is reached only through ag_cpp_call().
 * The hooks keep their nesting depth with PG_TRY so an ERROR never leaves a stale frame; transaction
 * callbacks drop every per-statement state at abort as a second line of defence.
 */
#include "pg/pg_headers.hpp"

#include <cstdint>

#include "core/policy.hpp"
#include "pg/breaker.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

static ExecutorStart_hook_type prev_ExecutorStart = nullptr;
static ExecutorRun_hook_type prev_ExecutorRun = nullptr;
static ExecutorFinish_hook_type prev_ExecutorFinish = nullptr;
static ExecutorEnd_hook_type prev_ExecutorEnd = nullptr;
static ProcessUtility_hook_type prev_ProcessUtility = nullptr;

/* ---------------------------------------------------------------------------------------------
 * Per-statement state. The root and leaf arrays live in TopMemoryContext for the backend's life and
 * are emptied (not freed) when a statement ends, so a statement allocates nothing; only the statement
 * text of an intercept is copied, into stmt_cxt, reset at the end. Arrays are small (one entry per
 * target table / leaf) and searched linearly.
 * --------------------------------------------------------------------------------------------- */

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
};

struct Leaf
{
	Oid			relid;
	int			root;			/* index into roots */
	bool		by_id;			/* no Relation at hand (tuple routing): find its counters by OID */
	PgStat_TableStatus *st;		/* pending statistics entry; valid for the whole transaction */
	int64		baseline;		/* changed-row sum when the statement first touched it */
	int64		carried;		/* rows changed in transactions a procedure committed meanwhile */
};

struct Stmt
{
	bool		active;			/* a top-level statement is running */
	bool		used;			/* stmt_cxt holds something */
	const void *key;			/* its QueryDesc or utility PlannedStmt */
	uint64		generation;
	const char *query;			/* source text and location, valid while the statement runs */
	int			location;
	int			length;
	char	   *text;			/* copied when the first target appears */
	bool		approved;		/* a token approved it: nothing is counted any more */
	bool		limits_read;
	RowLimits	limits;
	int64		threshold_nosize;
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
	Oid			root_relid;
	bool		routed;			/* INSERT ... ON CONFLICT into a partitioned table */
	uint64		generation;		/* of the statement it was attached to */
	int			root;			/* index into stmt.roots of that generation */
};

static Stmt stmt;
static MemoryContext stmt_cxt = nullptr;
static int	scope_depth = 0;

static Wrap *wraps = nullptr;	/* in TopMemoryContext */
static int	nwraps = 0;
static int	maxwraps = 0;

/* The one test a human's statement pays (after the cheap mode and worker tests). */
static inline bool
guard_active(void)
{
	return guc_mode != AG_MODE_OFF && internal_depth == 0 && !IsParallelWorker() && session_is_guarded();
}

/*
 * Inside a statement this backend already judged guarded (any enclosing scope, or the same QueryDesc
 * continuing), the membership answer is not asked again: the guard does not lift in mid-statement.
 * A human's QueryDesc seen unguarded in ExecutorStart is remembered so its Run/Finish pay one compare.
 */
static const QueryDesc *unguarded_qd = nullptr;

static inline bool
guard_active_in_scope(const QueryDesc *qd)
{
	if (scope_depth > 0 || (stmt.active && stmt.key == qd))
		return guc_mode != AG_MODE_OFF && internal_depth == 0;
	return guard_active();
}

static inline bool
guard_active_for(const QueryDesc *qd)
{
	if (qd == unguarded_qd)
		return false;
	return guard_active_in_scope(qd);
}

/* ---------------------------------------------------------------------------------------------
 * Statement scope
 * --------------------------------------------------------------------------------------------- */

static void finish_statement(bool emit);
static void attach_wrap(int i);

static void
begin_statement(const void *key, const char *query, int location, int length)
{
	if (stmt.active)
		finish_statement(false);
	stmt.active = true;
	stmt.key = key;
	stmt.generation++;
	stmt.query = query;
	stmt.location = location;
	stmt.length = length;
	stmt.text = nullptr;
	stmt.approved = false;
	stmt.limits_read = false;
	stmt.nroots = 0;
	stmt.nleaves = 0;
}

/*
 * Enters the top-level statement named by key (a QueryDesc for the executor hooks, the PlannedStmt of a
 * utility statement): at depth 0 a different key starts a new statement, the same key continues it
 * (ExecutorFinish runs the foreign-key actions of the rows ExecutorRun changed).
 */
void
statement_scope_enter(const void *key, const char *query, int location, int length)
{
	if (scope_depth == 0 && !(stmt.active && stmt.key == key))
		begin_statement(key, query, location, length);
	scope_depth++;
}

void
statement_scope_leave(const void *key, bool finished)
{
	if (scope_depth > 0)
		scope_depth--;
	if (scope_depth == 0 && finished && stmt.active && stmt.key == key)
		finish_statement(true);
}

/* An ERROR is leaving a scope: the statement is over and nothing it did survives. */
static void
statement_scope_abort(void)
{
	if (scope_depth > 0)
		scope_depth--;
	if (scope_depth == 0 && stmt.active)
		finish_statement(false);
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

static PgStat_TableStatus *
find_pending_tabstat(Oid relid)
{
	return find_tabstat_entry_compat(relid);
}

static int64
root_count(int r)
{
	Root	   *root = &stmt.roots[r];
	int64		n = 0;

	if (root->kind != ROOT_EXACT)
		return root->fetched;
	for (int i = 0; i < stmt.nleaves; i++)
	{
		Leaf	   *l = &stmt.leaves[i];
		int64		d;

		if (l->root != r)
			continue;
		if (l->st == nullptr && l->by_id)
			l->st = find_pending_tabstat(l->relid);
		d = changed_in_xact(l->st) - l->baseline;
		n += (d > 0 ? d : 0) + l->carried;
	}
	return n;
}

static void
read_limits(void)
{
	RowLimits  *lim = &stmt.limits;
	int64		t = INT64_MAX;

	lim->max_rows = guc_max_rows;
	lim->max_fraction = guc_max_fraction;
	lim->fraction_min_rows = guc_fraction_min_rows;
	ag_cpp_call("computing a row limit", [&]() { t = row_threshold_without_size(*lim); });
	stmt.threshold_nosize = t;
	stmt.limits_read = true;
}

/* Rows of one table that has storage: the planner's estimate from its current size, so a table that
 * was never analysed (reltuples = -1) does not look empty. */
static double
relation_rows(Oid relid)
{
	Relation	rel;
	double		rows = 0;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == nullptr)
		return 0;
	if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
	{
		BlockNumber pages;
		double		tuples;
		double		allvisfrac;

		estimate_rel_size(rel, nullptr, &pages, &tuples, &allvisfrac);
		rows = tuples;
	}
	else if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE && rel->rd_rel->reltuples > 0)
		rows = rel->rd_rel->reltuples;
	relation_close(rel, NoLock);
	return rows;
}

/* A partitioned or inheritance root is sized as the sum of its members. */
static double
table_rows(Oid relid)
{
	List	   *members;
	ListCell   *lc;
	double		rows = 0;

	if (!has_subclass(relid))
		return relation_rows(relid);
	members = find_all_inheritors(relid, AccessShareLock, nullptr);
	foreach(lc, members)
		rows += relation_rows(lfirst_oid(lc));
	list_free(members);
	return rows;
}

static const char *
operation_name(CmdType op)
{
	switch (op)
	{
		case CMD_DELETE:
			return "DELETE";
		case CMD_UPDATE:
			return "UPDATE";
		case CMD_MERGE:
			return "MERGE";
		case CMD_INSERT:
			return "INSERT";
		default:
			return "DML";
	}
}

static char *
qualified_name(Oid relid)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	if (nsp == nullptr || rel == nullptr)
		return psprintf("%u", relid);
	return psprintf("%s.%s", quote_identifier(nsp), quote_identifier(rel));
}

static const char *
statement_text_now(void)
{
	if (stmt.text == nullptr)
	{
		MemoryContext old = MemoryContextSwitchTo(stmt_cxt);

		stmt.text = statement_text(stmt.query, stmt.location, stmt.length);
		stmt.used = true;
		MemoryContextSwitchTo(old);
	}
	return stmt.text;
}

/* "would change more than N rows (<setting>, <where it came from>)": the limit and its origin, so the
 * agent knows what stopped it and a human knows what to change. */
static char *
limit_reason(const Root *root)
{
	if (root->threshold == stmt.limits.max_rows)
		return psprintf("would change more than " INT64_FORMAT " rows (agentguard.max_rows, %s)",
						root->threshold, setting_origin("agentguard.max_rows"));
	if (root->threshold == stmt.limits.fraction_min_rows)
		return psprintf("would change more than " INT64_FORMAT " rows, over %g%% of its about %.0f rows "
						"(agentguard.max_fraction, %s; agentguard.fraction_min_rows, %s)",
						root->threshold, stmt.limits.max_fraction * 100.0,
						root->table_rows > 0 ? root->table_rows : 0.0, setting_origin("agentguard.max_fraction"),
						setting_origin("agentguard.fraction_min_rows"));
	return psprintf("would change more than " INT64_FORMAT " rows, %g%% of its about %.0f rows "
					"(agentguard.max_fraction, %s)",
					root->threshold, stmt.limits.max_fraction * 100.0,
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

static int64
try_token(Oid relid)
{
	if (guc_token == nullptr || guc_token[0] == '\0' || preview_active)
		return 0;
	return token_match(statement_text_now(), list_make1_oid(relid));
}

/*
 * A statement crossed a limit (or is unqualified): block it, let it run under a token, or warn.
 * Returns true when the statement may go on. For a block it does not return.
 */
static bool
intercept(Oid relid, CmdType op, const char *reason, int64 rows, bool warn_now)
{
	int64		token_id = try_token(relid);
	Action		action = decide_dml(token_id);
	Intercept	ic;

	if (action == Action::Allow || action == Action::AllowTemp)
		return true;
	if (action == Action::Warn && !warn_now)
		return true;			/* reported with the final count when the statement ends */
	memset(&ic, 0, sizeof(ic));
	ic.kind = INTERCEPT_DESTRUCTIVE_DML;
	ic.decision = action == Action::Approved ? DECISION_APPROVED :
		action == Action::Warn ? DECISION_WARNED : DECISION_BLOCKED;
	ic.command = operation_name(op);
	ic.statement = statement_text_now();
	ic.objects = list_make1(qualified_name(relid));
	ic.object_oids = list_make1_oid(relid);
	ic.reason = reason;
	ic.rows_affected = rows;
	ic.token_id = token_id;
	if (action == Action::Approved)
		stmt.approved = true;
	report_intercept(&ic);		/* a block raises the ERROR here */
	return true;
}

/* Counts exactly; raises the ERROR when the root is beyond its limit; refills the budget. */
static void
check_root(int r, CmdType op)
{
	Root	   *root = &stmt.roots[r];
	int64		n = root_count(r);

	if (n > root->threshold && !root->sized)
	{
		double		rows = table_rows(root->relid);
		int64		t = INT64_MAX;

		root = &stmt.roots[r];
		root->table_rows = rows;
		root->sized = true;
		ag_cpp_call("computing a row limit", [&]() { t = row_threshold(stmt.limits, rows); });
		root->threshold = t;
	}
	if (n > root->threshold)
	{
		if (preview_active)
		{
			/* a preview counts on: check again at the next row, so the rows of the statement that
			 * runs the preview are still counted exactly once the preview is rolled back */
			root->budget = 0;
			return;
		}
		if (guc_mode != AG_MODE_WARN)
			intercept(root->relid, op, limit_reason(root), n, false);	/* a block does not return */
		/* warn mode (or approved): no more counting; warn mode reports the final count at the end */
		root = &stmt.roots[r];
		root->exceeded = !stmt.approved;
		root->budget = INT64_MAX;
		return;
	}
	root->budget = root->threshold - n;
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

	if (stmt.active && !stmt.approved)
	{
		int			r;

		/* A query that outlived the statement it started in (a portal run later) is counted anew. */
		if (wraps[i].generation != stmt.generation)
			attach_wrap(i);
		r = wraps[i].root;
		if (r >= 0 && stmt.roots[r].kind != ROOT_UNCOUNTED)
		{
			Root	   *root = &stmt.roots[r];

			if (root->budget > 0)
				root->budget--;
			else
			{
				check_root(r, wraps[i].mt->operation);	/* raises the ERROR when beyond the limit */
				root = &stmt.roots[r];
				if (root->budget > 0 && root->budget != INT64_MAX)
					root->budget--;
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

	for (int i = 0; i < stmt.nroots; i++)
		if (stmt.roots[i].relid == relid)
		{
			if (kind == ROOT_FETCHED && stmt.roots[i].kind == ROOT_EXACT)
				stmt.roots[i].kind = ROOT_FETCHED;
			return i;
		}
	if (!stmt.limits_read)
		read_limits();
	/* the arrays live for the backend and are reused by every statement: no allocation per statement */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (stmt.nroots == stmt.maxroots)
	{
		stmt.maxroots = stmt.maxroots == 0 ? 4 : stmt.maxroots * 2;
		stmt.roots = stmt.roots == nullptr ? static_cast<Root *>(palloc(sizeof(Root) * stmt.maxroots))
			: static_cast<Root *>(repalloc(stmt.roots, sizeof(Root) * stmt.maxroots));
	}
	MemoryContextSwitchTo(old);
	r = &stmt.roots[stmt.nroots];
	r->relid = relid;
	r->kind = kind;
	r->operation = op;
	r->sized = false;
	r->exceeded = false;
	r->threshold = stmt.threshold_nosize;
	/* Nothing of it changed yet in this statement: every later change is one of its frames' fetches,
	 * each of which spends from this shared budget. */
	r->budget = r->threshold;
	r->fetched = 0;
	r->table_rows = -1;
	return stmt.nroots++;
}

static void
add_leaf(Oid relid, int root, PgStat_TableStatus *st, bool by_id)
{
	MemoryContext old;
	Leaf	   *l;

	for (int i = 0; i < stmt.nleaves; i++)
		if (stmt.leaves[i].relid == relid && stmt.leaves[i].root == root)
		{
			if (stmt.leaves[i].st == nullptr && st != nullptr)
				stmt.leaves[i].st = st;		/* its baseline stays 0: nothing was counted before */
			return;
		}
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (stmt.nleaves == stmt.maxleaves)
	{
		stmt.maxleaves = stmt.maxleaves == 0 ? 8 : stmt.maxleaves * 2;
		stmt.leaves = stmt.leaves == nullptr ? static_cast<Leaf *>(palloc(sizeof(Leaf) * stmt.maxleaves))
			: static_cast<Leaf *>(repalloc(stmt.leaves, sizeof(Leaf) * stmt.maxleaves));
	}
	MemoryContextSwitchTo(old);
	l = &stmt.leaves[stmt.nleaves++];
	l->relid = relid;
	l->root = root;
	l->by_id = by_id;
	l->st = st;
	l->baseline = changed_in_xact(st);
	l->carried = 0;
}

/* Whether PostgreSQL keeps per-transaction changed-row counts for this relation, and its entry. */
static bool
leaf_counters(Relation rel, PgStat_TableStatus **st)
{
	*st = nullptr;
	if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_MATVIEW)
		return false;
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		return false;
	/* Same association the executor's first count would make; done now so the baseline is exact. */
	if (rel->pgstat_info == nullptr && rel->pgstat_enabled)
		pgstat_assoc_relation(rel);
	*st = rel->pgstat_info;
	return *st != nullptr;
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

	if (kind == RELKIND_VIEW)
		rk = ROOT_UNCOUNTED;
	r = find_or_add_root(canonical_root(target), mt->operation, rk);
	for (int j = 0; j < mt->mt_nrels; j++)
	{
		Relation	rel = mt->resultRelInfo[j].ri_RelationDesc;
		PgStat_TableStatus *st;

		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || rel->rd_rel->relkind == RELKIND_VIEW)
			continue;			/* no rows of its own */
		if (!leaf_counters(rel, &st))
			stmt.roots[r].kind = rk == ROOT_UNCOUNTED ? ROOT_UNCOUNTED : ROOT_FETCHED;
		add_leaf(RelationGetRelid(rel), r, st, false);
	}
	if (w->routed)
	{
		/* INSERT ... ON CONFLICT DO UPDATE routes rows to partitions it opens on the way: baseline every
		 * partition now, and find the counters of those not yet counted by OID later. */
		List	   *members = find_all_inheritors(RelationGetRelid(target), NoLock, nullptr);
		ListCell   *lc;

		if (!pgstat_track_counts)
			stmt.roots[r].kind = ROOT_FETCHED;
		foreach(lc, members)
			add_leaf(lfirst_oid(lc), r, find_pending_tabstat(lfirst_oid(lc)), true);
		list_free(members);
	}
	w = &wraps[i];
	w->root = r;
	w->generation = stmt.generation;
}

static bool
is_destructive(const ModifyTable *mt)
{
	switch (mt->operation)
	{
		case CMD_DELETE:
		case CMD_UPDATE:
		case CMD_MERGE:
			return true;
		case CMD_INSERT:
			return mt->onConflictAction == ONCONFLICT_UPDATE;
		default:
			return false;
	}
}

/* Any ModifyTable that changes existing rows in this plan? (The only places it can be: the top of
 * the main plan and the top of a writable CTE's subplan.) */
static bool
plan_is_destructive(PlannedStmt *ps)
{
	ListCell   *lc;

	if (ps->commandType == CMD_SELECT && !ps->hasModifyingCTE)
		return false;
	if (ps->planTree != nullptr && IsA(ps->planTree, ModifyTable) &&
		is_destructive(castNode(ModifyTable, ps->planTree)))
		return true;
	if (!ps->hasModifyingCTE)
		return false;
	foreach(lc, ps->subplans)
	{
		Plan	   *p = static_cast<Plan *>(lfirst(lc));

		if (p != nullptr && IsA(p, ModifyTable) && is_destructive(castNode(ModifyTable, p)))
			return true;
	}
	return false;
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
	w->root_relid = InvalidOid;
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
	if (!is_destructive(castNode(ModifyTable, ps->plan)))
		return;
	add_wrap(castNode(ModifyTableState, ps), estate);
}

static void
drop_wraps(EState *estate)
{
	int			j = 0;

	if (estate == nullptr)
		return;
	for (int i = 0; i < nwraps; i++)
		if (wraps[i].estate != estate)
			wraps[j++] = wraps[i];
	nwraps = j;
}

/* ---------------------------------------------------------------------------------------------
 * Unqualified DELETE / UPDATE
 * --------------------------------------------------------------------------------------------- */

static bool plan_has_qual(const Plan *p);

static bool
plans_have_qual(const List *plans)
{
	const ListCell *lc;

	foreach(lc, plans)
		if (plan_has_qual(static_cast<const Plan *>(lfirst(lc))))
			return true;
	return false;
}

/* Does any node of the input plan restrict the rows? (WHERE true folds away: no qualification.) */
static bool
plan_has_qual(const Plan *p)
{
	if (p == nullptr)
		return false;
	check_stack_depth();
	if (p->qual != NIL)
		return true;
	switch (nodeTag(p))
	{
		case T_Result:
			if (reinterpret_cast<const Result *>(p)->resconstantqual != nullptr)
				return true;
			break;
		case T_IndexScan:
			if (reinterpret_cast<const IndexScan *>(p)->indexqual != NIL)
				return true;
			break;
		case T_IndexOnlyScan:
			if (reinterpret_cast<const IndexOnlyScan *>(p)->indexqual != NIL)
				return true;
			break;
		case T_BitmapIndexScan:
			if (reinterpret_cast<const BitmapIndexScan *>(p)->indexqual != NIL)
				return true;
			break;
		case T_BitmapHeapScan:
			if (reinterpret_cast<const BitmapHeapScan *>(p)->bitmapqualorig != NIL)
				return true;
			break;
		case T_TidScan:
			if (reinterpret_cast<const TidScan *>(p)->tidquals != NIL)
				return true;
			break;
		case T_TidRangeScan:
			if (reinterpret_cast<const TidRangeScan *>(p)->tidrangequals != NIL)
				return true;
			break;
		case T_NestLoop:
			if (reinterpret_cast<const Join *>(p)->joinqual != NIL)
				return true;
			break;
		case T_MergeJoin:
			if (reinterpret_cast<const MergeJoin *>(p)->mergeclauses != NIL ||
				reinterpret_cast<const Join *>(p)->joinqual != NIL)
				return true;
			break;
		case T_HashJoin:
			if (reinterpret_cast<const HashJoin *>(p)->hashclauses != NIL ||
				reinterpret_cast<const Join *>(p)->joinqual != NIL)
				return true;
			break;
		case T_ForeignScan:
			/* A foreign scan may have pushed its WHERE to the remote server where we cannot see it:
			 * give it the benefit of the doubt (its rows are still counted). */
			return true;
		case T_Append:
			if (plans_have_qual(reinterpret_cast<const Append *>(p)->appendplans))
				return true;
			break;
		case T_MergeAppend:
			if (plans_have_qual(reinterpret_cast<const MergeAppend *>(p)->mergeplans))
				return true;
			break;
		case T_BitmapAnd:
			if (plans_have_qual(reinterpret_cast<const BitmapAnd *>(p)->bitmapplans))
				return true;
			break;
		case T_BitmapOr:
			if (plans_have_qual(reinterpret_cast<const BitmapOr *>(p)->bitmapplans))
				return true;
			break;
		case T_SubqueryScan:
			if (plan_has_qual(reinterpret_cast<const SubqueryScan *>(p)->subplan))
				return true;
			break;
		case T_CustomScan:
			if (plans_have_qual(reinterpret_cast<const CustomScan *>(p)->custom_plans))
				return true;
			break;
		default:
			break;
	}
	return plan_has_qual(p->lefttree) || plan_has_qual(p->righttree);
}

static void
judge_unqualified_plan(PlannedStmt *ps, Plan *p)
{
	ModifyTable *mt;
	Index		rti;
	Oid			relid;

	if (p == nullptr || !IsA(p, ModifyTable))
		return;
	mt = castNode(ModifyTable, p);
	if (mt->operation != CMD_DELETE && mt->operation != CMD_UPDATE)
		return;
	if (plan_has_qual(p->lefttree))
		return;
	rti = mt->rootRelation != 0 ? mt->rootRelation : mt->nominalRelation;
	relid = rt_fetch(rti, ps->rtable)->relid;
	/* The guard's own tables and the catalogs are refused by the permission check as self-protection,
	 * which no token can approve: an "unqualified" refusal would wrongly suggest an approval. */
	if (get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE || is_self_protected_relation(relid))
		return;
	intercept(relid, mt->operation,
			  "it has no WHERE clause, and agents may not change every row of a table without an approval",
			  -1, true);
}

static void
judge_unqualified(PlannedStmt *ps)
{
	ListCell   *lc;

	judge_unqualified_plan(ps, ps->planTree);
	if (!ps->hasModifyingCTE)
		return;
	foreach(lc, ps->subplans)
	{
		if (stmt.approved)
			return;
		judge_unqualified_plan(ps, static_cast<Plan *>(lfirst(lc)));
	}
}

/* ---------------------------------------------------------------------------------------------
 * End of a statement
 * --------------------------------------------------------------------------------------------- */

static void
reset_statement(void)
{
	stmt.active = false;
	stmt.key = nullptr;
	stmt.nroots = 0;
	stmt.nleaves = 0;
	stmt.text = nullptr;
	stmt.approved = false;
	if (stmt.used)
	{
		MemoryContextReset(stmt_cxt);
		stmt.used = false;
	}
}

static void
finish_statement(bool emit)
{
	if (emit && stmt.active && !stmt.approved)
	{
		for (int r = 0; r < stmt.nroots; r++)
		{
			Root	   *root = &stmt.roots[r];

			if (!root->exceeded)
				continue;
			root->exceeded = false;
			if (guc_mode == AG_MODE_OFF)
				continue;
			{
				int64		n = root_count(r);
				char	   *reason = limit_reason(&stmt.roots[r]);

				/* warn mode: the statement ran to the end; tell the real count */
				intercept(stmt.roots[r].relid, stmt.roots[r].operation, reason, n, true);
			}
		}
	}
	reset_statement();
}

/* ---------------------------------------------------------------------------------------------
 * Hooks
 * --------------------------------------------------------------------------------------------- */

static void
call_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart != nullptr)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void __attribute__((noinline))
judged_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *ps = queryDesc->plannedstmt;

	statement_scope_enter(queryDesc, queryDesc->sourceText, ps->stmt_location, ps->stmt_len);
	PG_TRY();
	{
		if (guc_block_unqualified && !stmt.approved)
			judge_unqualified(ps);
		call_ExecutorStart(queryDesc, eflags);
		if (!stmt.approved)
		{
			ListCell   *lc;

			attach_plan_state(queryDesc->planstate, queryDesc->estate);
			foreach(lc, queryDesc->estate->es_subplanstates)
				attach_plan_state(static_cast<PlanState *>(lfirst(lc)), queryDesc->estate);
		}
	}
	PG_CATCH();
	{
		if (queryDesc->estate != nullptr)
			drop_wraps(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* plain EXPLAIN runs nothing and is never blocked; EXPLAIN ANALYZE runs and is judged */
	if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0 || !guard_active_in_scope(queryDesc))
	{
		/* (the address of a QueryDesc that died in an ERROR may come back: always set or clear) */
		unguarded_qd = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0 ? nullptr : queryDesc;
		call_ExecutorStart(queryDesc, eflags);
		return;
	}
	unguarded_qd = nullptr;
	/* An open circuit breaker refuses every write (ZG002) before anything else is judged. */
	if (queryDesc->plannedstmt->commandType != CMD_SELECT || queryDesc->plannedstmt->hasModifyingCTE)
		breaker_refuse_if_open(GetCommandTagName(CreateCommandTag(reinterpret_cast<Node *>(queryDesc->plannedstmt))));
	if (plan_is_destructive(queryDesc->plannedstmt))
		judged_ExecutorStart(queryDesc, eflags);
	else
		call_ExecutorStart(queryDesc, eflags);
}

/* The guarded paths live in their own functions so the unguarded path pays no PG_TRY set-up. */
static void __attribute__((noinline))
judged_ExecutorRun(AG_EXECUTORRUN_ARGS)
{
	statement_scope_enter(queryDesc, queryDesc->sourceText, queryDesc->plannedstmt->stmt_location,
						  queryDesc->plannedstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ExecutorRun != nullptr)
			AG_EXECUTORRUN_CALL(prev_ExecutorRun);
		else
			AG_EXECUTORRUN_CALL(standard_ExecutorRun);
	}
	PG_CATCH();
	{
		drop_wraps(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorRun(AG_EXECUTORRUN_ARGS)
{
	if (guard_active_for(queryDesc))
		AG_EXECUTORRUN_CALL(judged_ExecutorRun);
	else if (prev_ExecutorRun != nullptr)
		AG_EXECUTORRUN_CALL(prev_ExecutorRun);
	else
		AG_EXECUTORRUN_CALL(standard_ExecutorRun);
}

static void __attribute__((noinline))
judged_ExecutorFinish(QueryDesc *queryDesc)
{
	statement_scope_enter(queryDesc, queryDesc->sourceText, queryDesc->plannedstmt->stmt_location,
						  queryDesc->plannedstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ExecutorFinish != nullptr)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		drop_wraps(queryDesc->estate);
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(queryDesc, false);
}

static void
ag_ExecutorFinish(QueryDesc *queryDesc)
{
	if (guard_active_for(queryDesc))
		judged_ExecutorFinish(queryDesc);
	else if (prev_ExecutorFinish != nullptr)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
}

static void
ag_ExecutorEnd(QueryDesc *queryDesc)
{
	/* No guard test here: what this backend attached must be detached whoever runs now. */
	if (queryDesc == unguarded_qd)
		unguarded_qd = nullptr;
	if (nwraps > 0)
		drop_wraps(queryDesc->estate);
	if (prev_ExecutorEnd != nullptr)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (stmt.active && scope_depth == 0 && stmt.key == queryDesc)
		finish_statement(true);
}

/*
 * Utility statements that run queries (DO, CALL, EXECUTE, COPY (query) TO, EXPLAIN ANALYZE, CREATE
 * TABLE AS, FETCH) are one top-level statement with everything they run.
 */
static void
ag_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				  ProcessUtilityContext context, ParamListInfo params,
				  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (!guard_active())
	{
		if (prev_ProcessUtility != nullptr)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		return;
	}
	statement_scope_enter(pstmt, queryString, pstmt->stmt_location, pstmt->stmt_len);
	PG_TRY();
	{
		if (prev_ProcessUtility != nullptr)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		statement_scope_abort();
		PG_RE_THROW();
	}
	PG_END_TRY();
	statement_scope_leave(pstmt, true);
}

/*
 * A procedure may COMMIT or ROLLBACK inside CALL: PostgreSQL's per-transaction counters then start
 * again from zero. Committed rows are carried forward; rolled-back rows are gone, as are their rows.
 * An abort outside any scope ends everything.
 */
static void
ag_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	unguarded_qd = nullptr;
	if (!stmt.active && scope_depth == 0 && nwraps == 0)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			for (int i = 0; i < stmt.nleaves; i++)
			{
				Leaf	   *l = &stmt.leaves[i];
				int64		d = changed_in_xact(l->st) - l->baseline;

				l->carried += d > 0 ? d : 0;
				l->baseline = 0;
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (scope_depth == 0)
			{
				reset_statement();
				nwraps = 0;
			}
			else
				for (int i = 0; i < stmt.nleaves; i++)
					stmt.leaves[i].baseline = 0;
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (scope_depth == 0)
			{
				reset_statement();
				nwraps = 0;
			}
			break;
		default:
			break;
	}
}

void
install_executor_hooks(void)
{
	stmt_cxt = AllocSetContextCreate(TopMemoryContext, "pg_agentguard statement", ALLOCSET_SMALL_SIZES);
	stmt.active = false;
	stmt.used = false;
	stmt.generation = 0;

	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ag_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = ag_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = ag_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = ag_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = ag_ProcessUtility;
	RegisterXactCallback(ag_xact_callback, nullptr);
}

}  // namespace agentguard
