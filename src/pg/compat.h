/*
 * compat.h — every difference between the PostgreSQL major versions pg_agentguard builds against
 * (14–18) lives here, each with the upstream change that caused it. Included by pg/pg_headers.hpp only, after the server headers (inside extern "C").
 * CI builds and tests on 15; the other branches are written against the upstream headers.
 */
#pragma once

#ifndef AG_PG_HEADERS_INCLUDED
#error "include pg/pg_headers.hpp, not pg/compat.h: PostgreSQL's headers must be included with C linkage"
#endif

#if PG_VERSION_NUM < 140000
#error "pg_agentguard needs PostgreSQL 14 or later"
#endif

/* PG 15 added MarkGUCPrefixReserved ("Disallow setting bogus GUCs within an extension's
 * reserved namespace"); 14 only warns about placeholders. */
#if PG_VERSION_NUM >= 150000
#define MarkGUCPrefixReserved_compat(prefix) MarkGUCPrefixReserved(prefix)
#else
#define MarkGUCPrefixReserved_compat(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* PG 15 added shmem_request_hook (release notes: "Add a new shmem_request_hook"); before, RequestAddinShmemSpace was called
 * directly from _PG_init. */
#if PG_VERSION_NUM >= 150000
#define AG_HAVE_SHMEM_REQUEST_HOOK 1
#else
#define AG_HAVE_SHMEM_REQUEST_HOOK 0
#endif

/* PG 16 moved permission checks to RTEPermissionInfo (the RTEPermissionInfo rework of 16): ExecutorCheckPerms_hook
 * takes the list of RTEPermissionInfo besides the range table. */
#if PG_VERSION_NUM >= 160000
#define AG_CHECKPERMS_ARGS List *rangeTable, List *rtePermInfos, bool ereport_on_violation
#define AG_CHECKPERMS_CALL(fn) (fn)(rangeTable, rtePermInfos, ereport_on_violation)
#else
#define AG_CHECKPERMS_ARGS List *rangeTable, bool ereport_on_violation
#define AG_CHECKPERMS_CALL(fn) (fn)(rangeTable, ereport_on_violation)
#endif

/* Would the executor's permission check pass for a plan (ExecutorCheckPerms_hook included), without
 * raising its error? PG 16 renamed ExecCheckRTPerms to ExecCheckPermissions, with the plan's
 * RTEPermissionInfo list (the RTEPermissionInfo rework of 16). */
#if PG_VERSION_NUM >= 160000
#define ag_plan_permitted(ps) ExecCheckPermissions((ps)->rtable, (ps)->permInfos, false)
#else
#define ag_plan_permitted(ps) ExecCheckRTPerms((ps)->rtable, false)
#endif

/* PG 18 removed ExecutorRun's execute_once argument (the "execute_once" removal in 18). */
#if PG_VERSION_NUM >= 180000
#define AG_EXECUTORRUN_ARGS QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define AG_EXECUTORRUN_CALL(fn) (fn)(queryDesc, direction, count)
#else
#define AG_EXECUTORRUN_ARGS QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once
#define AG_EXECUTORRUN_CALL(fn) (fn)(queryDesc, direction, count, execute_once)
#endif

/* PG 16 changed get_guc_variables() to return the count through an argument (the GUC hash table
 * rework); 14 and 15 have GetNumConfigOptions(). */
#if PG_VERSION_NUM >= 160000
#define get_guc_variables_compat(nvars) get_guc_variables(nvars)
#else
#define get_guc_variables_compat(nvars) (*(nvars) = GetNumConfigOptions(), get_guc_variables())
#endif

/* The pending (not yet flushed) statistics entry of a relation, whose ->trans chain holds the rows
 * this transaction changed. Up to 16 find_tabstat_entry() returns that entry itself; 17 made it return
 * a copy with the transactional counts folded in (the pg_stat_get_xact_* fix), so read the pending
 * entry directly there. */
#if PG_VERSION_NUM >= 170000
static inline PgStat_TableStatus *
find_tabstat_entry_compat(Oid relid)
{
	PgStat_EntryRef *ref = pgstat_fetch_pending_entry(PGSTAT_KIND_RELATION, MyDatabaseId, relid);

	return ref != NULL ? (PgStat_TableStatus *) ref->pending : NULL;
}
#else
#define find_tabstat_entry_compat(relid) find_tabstat_entry(relid)
#endif

/* A materialized set-returning function's tuplestore: 15 added InitMaterializedSRF() (commit 9e98583898c). */
#if PG_VERSION_NUM >= 150000
#define InitMaterializedSRF_compat(fcinfo) InitMaterializedSRF((fcinfo), 0)
#else
static inline void
InitMaterializedSRF_compat(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
}
#endif

/* Whether a relation has rewrite rules (a view, or DO ALSO / INSTEAD rules on a table). */
static inline bool
relation_has_rules_compat(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		has;

	if (!HeapTupleIsValid(tup))
		return false;
	has = ((Form_pg_class) GETSTRUCT(tup))->relhasrules;
	ReleaseSysCache(tup);
	return has;
}

/* PG 16 moved checkAsUser from the range table entry to its RTEPermissionInfo (the RTEPermissionInfo
 * rework of 16): the role a rule's or view's owner left on a relation of a plan. */
#if PG_VERSION_NUM >= 160000
static inline Oid
rte_check_as_user_compat(const PlannedStmt *ps, const RangeTblEntry *rte)
{
	if (rte->perminfoindex == 0 || ps->permInfos == NIL)
		return InvalidOid;
	return ((RTEPermissionInfo *) list_nth(ps->permInfos, rte->perminfoindex - 1))->checkAsUser;
}
#else
static inline Oid
rte_check_as_user_compat(const PlannedStmt *ps, const RangeTblEntry *rte)
{
	(void) ps;
	return rte->checkAsUser;
}
#endif

/* The backend's local transaction id: PG 17 moved it into PGPROC's vxid. */
#if PG_VERSION_NUM >= 170000
#define AG_MY_LXID (MyProc->vxid.lxid)
#else
#define AG_MY_LXID (MyProc->lxid)
#endif
