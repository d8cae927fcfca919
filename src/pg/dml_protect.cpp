/*
 * dml_protect.cpp — self-protection for data: a guarded session may not INSERT, UPDATE or DELETE
 * rows of pg_agentguard's tables or of the system catalogs (SPEC §3 "Self-protection").
 *
 * ExecutorCheckPerms_hook sees the permissions every query needs — plain DML, writable CTEs, rules,
 * COPY FROM, SELECT ... FOR UPDATE — before any row is touched, wherever the query comes from.
 * The worker and pg_agentguard's own bookkeeping (internal_depth) pass.
 */
#include "pg/pg_headers.hpp"

#include "pg/event_sink.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"

namespace agentguard {

static ExecutorCheckPerms_hook_type prev_check_perms = nullptr;

static const AclMode kWritePerms = ACL_INSERT | ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE;

static void
refuse_write(Oid relid, bool catalog)
{
	Intercept	ic;

	memset(&ic, 0, sizeof(ic));
	ic.kind = INTERCEPT_SELF_PROTECTION;
	ic.decision = DECISION_BLOCKED;
	ic.command = "DML";
	ic.statement = debug_query_string;
	ic.objects = list_make1(relation_display_name(relid));
	ic.object_oids = list_make1_oid(relid);
	ic.reason = catalog ? "agents may not modify system catalogs"
		: "agents may not modify pg_agentguard's tables";
	ic.rows_affected = -1;
	report_intercept(&ic);
}

/*
 * The token data: a guarded session may not even read it. GRANTs already keep ordinary agents out; this
 * keeps out a superuser agent, which bypasses them. The tokens view is caught here too (its own range
 * table entry, and the token_store entry it expands to).
 */
static void
refuse_read(Oid relid)
{
	Intercept	ic;
	char	   *rel = get_rel_name(relid);

	memset(&ic, 0, sizeof(ic));
	ic.kind = INTERCEPT_SELF_PROTECTION;
	ic.decision = DECISION_BLOCKED;
	ic.command = "SELECT";
	ic.statement = debug_query_string;
	ic.objects = list_make1(psprintf("%s.%s", AG_SCHEMA, rel ? rel : "?"));
	ic.object_oids = list_make1_oid(relid);
	ic.reason = "agents may not read pg_agentguard's token data";
	ic.rows_affected = -1;
	report_intercept(&ic);
}

bool
is_self_protected_relation(Oid relid)
{
	Oid			nsp;

	if (IsCatalogRelationOid(relid))
		return true;
	nsp = get_rel_namespace(relid);
	return nsp == PG_CATALOG_NAMESPACE || (OidIsValid(nsp) && nsp == guard_schema_oid());
}

static void
check_relation(Oid relid, AclMode perms)
{
	if (perms == 0)
		return;
	if (is_token_relation(relid))
		refuse_read(relid);
	if ((perms & kWritePerms) == 0 || !is_self_protected_relation(relid))
		return;
	refuse_write(relid, get_rel_namespace(relid) != guard_schema_oid());
}

/* Could this relation, with these permissions, be refused to an agent? Answered without any catalog
 * access, so that a human's query pays no guard check at all when nothing in it could matter. */
static inline bool
may_matter(Oid relid, AclMode perms)
{
	return perms != 0 && ((perms & kWritePerms) != 0 || is_token_relation(relid));
}

/* The part that may look at the session and the catalogs; out of line so that the hook's own frame
 * stays small for the humans that never get here. */
static bool __attribute__((noinline))
judge_perms(AG_CHECKPERMS_ARGS)
{
	ListCell   *lc;

	(void) ereport_on_violation;
	if (internal_depth > 0 || IsParallelWorker() || !session_is_guarded())
		return true;
#if PG_VERSION_NUM >= 160000
	(void) rangeTable;
	foreach(lc, rtePermInfos)
	{
		RTEPermissionInfo *pi = lfirst_node(RTEPermissionInfo, lc);

		check_relation(pi->relid, pi->requiredPerms);
	}
#else
	foreach(lc, rangeTable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
			check_relation(rte->relid, rte->requiredPerms);
	}
#endif
	return true;
}

static bool
agentguard_check_perms(AG_CHECKPERMS_ARGS)
{
	ListCell   *lc;

	if (prev_check_perms != nullptr && !AG_CHECKPERMS_CALL(prev_check_perms))
		return false;
	/* Only a write, or a read of the token data, can be refused: a query without either needs no
	 * guard check at all. */
#if PG_VERSION_NUM >= 160000
	foreach(lc, rtePermInfos)
	{
		RTEPermissionInfo *pi = lfirst_node(RTEPermissionInfo, lc);

		if (may_matter(pi->relid, pi->requiredPerms))
			return judge_perms(rangeTable, rtePermInfos, ereport_on_violation);
	}
#else
	foreach(lc, rangeTable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION && may_matter(rte->relid, rte->requiredPerms))
			return judge_perms(rangeTable, ereport_on_violation);
	}
#endif
	return true;
}

void
install_dml_protect_hook(void)
{
	prev_check_perms = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = agentguard_check_perms;
}

}  // namespace agentguard
