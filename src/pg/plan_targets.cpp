/*
 * plan_targets.cpp — the targets of an agent's statement, read from the plan.
 *
 * Targets are read from the plan, not from the command type: every ModifyTable at the top of the main
 * plan or of a writable CTE's subplan, wherever the query came from (top level, SPI in functions,
 * triggers, DO, EXECUTE, rules, foreign-key actions, COPY (query) TO, EXPLAIN ANALYZE).
 *
 * An unqualified DELETE/UPDATE (its input plan holds no qualification at all) is refused in
 * ExecutorStart, before PostgreSQL opens anything, whatever the table's size.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/plan_targets.hpp"
#include "pg/row_guard.hpp"

namespace agentguard {

bool
is_destructive_modify(const ModifyTable *mt)
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

bool
plan_is_destructive(const PlannedStmt *ps)
{
	const ListCell *lc;

	if (ps->commandType == CMD_SELECT && !ps->hasModifyingCTE)
		return false;
	if (ps->planTree != nullptr && IsA(ps->planTree, ModifyTable) &&
		is_destructive_modify(castNode(ModifyTable, ps->planTree)))
		return true;
	if (!ps->hasModifyingCTE)
		return false;
	foreach(lc, ps->subplans)
	{
		Plan	   *p = static_cast<Plan *>(lfirst(lc));

		if (p != nullptr && IsA(p, ModifyTable) && is_destructive_modify(castNode(ModifyTable, p)))
			return true;
	}
	return false;
}

/* The role a result relation is accessed as, when the rewriter set one (a rule's or view's owner). */
static Oid
result_check_as_user(const PlannedStmt *ps, const ModifyTable *mt, Oid *relid)
{
	const RangeTblEntry *rte;

	if (mt->resultRelations == NIL)
		return InvalidOid;
	rte = rt_fetch(linitial_int(mt->resultRelations), ps->rtable);
	*relid = rte->relid;
	return rte_check_as_user_compat(ps, rte);
}

static Oid
modify_agent_owner(const PlannedStmt *ps, const Plan *p, Oid *relid, bool ask)
{
	Oid			as_user;

	if (p == nullptr || !IsA(p, ModifyTable) || !is_destructive_modify(castNode(ModifyTable, p)))
		return InvalidOid;
	as_user = result_check_as_user(ps, castNode(ModifyTable, p), relid);
	if (!OidIsValid(as_user))
		return InvalidOid;
	if (!ask)
		return as_user;
	return role_is_agent_cached(as_user) ? as_user : InvalidOid;
}

static Oid
find_agent_owner(const PlannedStmt *ps, Oid *relid, bool ask)
{
	const ListCell *lc;
	Oid			owner = modify_agent_owner(ps, ps->planTree, relid, ask);

	if (OidIsValid(owner) || !ps->hasModifyingCTE)
		return owner;
	foreach(lc, ps->subplans)
	{
		owner = modify_agent_owner(ps, static_cast<const Plan *>(lfirst(lc)), relid, ask);
		if (OidIsValid(owner))
			return owner;
	}
	return InvalidOid;
}

bool
plan_may_be_agents(const PlannedStmt *ps)
{
	Oid			relid;

	return OidIsValid(find_agent_owner(ps, &relid, false));
}

Oid
plan_agent_owner(const PlannedStmt *ps, Oid *target)
{
	return find_agent_owner(ps, target, true);
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
	/* the session's own temporary tables are never judged (decided on the relation, not its name) */
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		return;
	row_guard_intercept(relid, mt->operation,
						"it has no WHERE clause, and agents may not change every row of a table without an approval",
						-1, true);
}

void
judge_unqualified(PlannedStmt *ps)
{
	ListCell   *lc;

	judge_unqualified_plan(ps, ps->planTree);
	if (!ps->hasModifyingCTE)
		return;
	foreach(lc, ps->subplans)
		judge_unqualified_plan(ps, static_cast<Plan *>(lfirst(lc)));
}

}  // namespace agentguard
