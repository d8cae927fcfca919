/*
 * preview.cpp — the dry run of SPEC §8:
 *
 *   agentguard.preview(statement text) RETURNS TABLE (object text, command text, rows bigint, via text)
 *   agentguard.preview_request(request_id bigint) → the same, for the statement of a pending request;
 *       its rows are kept with the request (agentguard.pending: last_preview_at, last_preview)
 *
 * How it works. The one statement runs through SPI inside a subtransaction that is always rolled back.
 * Before the rollback, the rows it changed are read per table from PostgreSQL's own per-subtransaction
 * counters (PgStat_TableXactStatus at this subtransaction's nest level: rows really inserted, updated
 * and deleted, whoever changed them — the statement itself, foreign-key actions, triggers, rules —
 * and nested subtransactions that committed into it). Objects a DDL statement drops or truncates are
 * collected by an object-access hook installed only while the preview runs (OAT_DROP, OAT_TRUNCATE),
 * so every other statement pays nothing for it.
 *
 * For an agent the guard stays on: self-protection still refuses (no token can approve it), but the
 * statement is not stopped for its size or its destructiveness (preview_active makes the guard behave
 * as agentguard.mode = warn, silently), its rows do not count toward the agent's budget, and an open
 * circuit breaker does not refuse it. Each preview of an agent is recorded as decision "previewed".
 *
 * Limits (README "Circuit breaker and preview"): the statement takes the locks it takes for real and
 * holds them until the caller's transaction ends; it costs what it costs, so it is stopped after
 * agentguard.preview_timeout; non-transactional effects (sequence increments) are not undone;
 * statements that cannot run in a transaction block cannot be previewed. Rows of a dropped or truncated table are counted by a full scan.
 *
 * Error boundaries: C-style glue, no C++ object alive across PostgreSQL calls.
 */
#include "pg/pg_headers.hpp"

#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sql_functions.hpp"

namespace agentguard {

bool		preview_active = false;

struct Dropped
{
	ObjectAddress addr;
	bool		truncate;
};

struct PreviewRow
{
	char	   *object;
	const char *command;
	int64		rows;
	const char *via;
};

/* Collected while the statement runs; palloc'd in the function's per-call context. */
static List *dropped = NIL;
static MemoryContext collect_cxt = nullptr;
static object_access_hook_type saved_oat = nullptr;
static volatile sig_atomic_t preview_timed_out = false;
static int	preview_timeout_id = -1;

static void
preview_oat(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (saved_oat != nullptr)
		saved_oat(access, classId, objectId, subId, arg);
	if (access == OAT_DROP || access == OAT_TRUNCATE)
	{
		MemoryContext old = MemoryContextSwitchTo(collect_cxt);
		Dropped    *d = static_cast<Dropped *>(palloc0(sizeof(Dropped)));

		if (access == OAT_DROP && arg != nullptr &&
			(static_cast<ObjectAccessDrop *>(arg)->dropflags & PERFORM_DELETION_INTERNAL) != 0)
		{
			MemoryContextSwitchTo(old);
			return;
		}
		d->addr.classId = classId;
		d->addr.objectId = objectId;
		d->addr.objectSubId = subId;
		d->truncate = access == OAT_TRUNCATE;
		dropped = lappend(dropped, d);
		MemoryContextSwitchTo(old);
	}
}

static void
preview_timeout_handler(void)
{
	preview_timed_out = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/* The top partitioned (or inheritance-free) root a leaf counts toward. */
static Oid
root_of(Oid relid)
{
	List	   *anc;
	Oid			top = relid;

	if (!get_rel_relispartition(relid))
		return relid;
	anc = get_partition_ancestors(relid);
	if (anc != NIL)
		top = llast_oid(anc);
	list_free(anc);
	return top;
}

/* Target tables named by the statement (and its writable CTEs), resolved as the caller sees them. */
static void
add_target(List **direct, RangeVar *rv)
{
	Oid			relid;

	if (rv == nullptr)
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid))
		*direct = lappend_oid(*direct, relid);
}

static void direct_targets(Node *n, List **direct, List **direct_objects);

static void
direct_in_with(WithClause *w, List **direct, List **direct_objects)
{
	ListCell   *lc;

	if (w == nullptr)
		return;
	foreach(lc, w->ctes)
		direct_targets(castNode(CommonTableExpr, lfirst(lc))->ctequery, direct, direct_objects);
}

static void
direct_targets(Node *n, List **direct, List **direct_objects)
{
	ListCell   *lc;

	if (n == nullptr)
		return;
	switch (nodeTag(n))
	{
		case T_DeleteStmt:
			add_target(direct, castNode(DeleteStmt, n)->relation);
			direct_in_with(castNode(DeleteStmt, n)->withClause, direct, direct_objects);
			break;
		case T_UpdateStmt:
			add_target(direct, castNode(UpdateStmt, n)->relation);
			direct_in_with(castNode(UpdateStmt, n)->withClause, direct, direct_objects);
			break;
		case T_InsertStmt:
			add_target(direct, castNode(InsertStmt, n)->relation);
			direct_in_with(castNode(InsertStmt, n)->withClause, direct, direct_objects);
			break;
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			add_target(direct, castNode(MergeStmt, n)->relation);
			break;
#endif
		case T_SelectStmt:
			direct_in_with(castNode(SelectStmt, n)->withClause, direct, direct_objects);
			break;
		case T_TruncateStmt:
			foreach(lc, castNode(TruncateStmt, n)->relations)
				add_target(direct, lfirst_node(RangeVar, lc));
			break;
		case T_DropStmt:
			{
				DropStmt   *d = castNode(DropStmt, n);

				foreach(lc, d->objects)
				{
					Relation	rel = nullptr;
					ObjectAddress a = get_object_address(d->removeType, static_cast<Node *>(lfirst(lc)), &rel,
														 AccessShareLock, true);
					ObjectAddress *keep;

					if (rel != nullptr)
						relation_close(rel, NoLock);
					if (!OidIsValid(a.objectId))
						continue;
					keep = static_cast<ObjectAddress *>(palloc(sizeof(ObjectAddress)));
					*keep = a;
					*direct_objects = lappend(*direct_objects, keep);
				}
				break;
			}
		default:
			break;
	}
}

static bool
oid_in_roots(List *oids, Oid relid)
{
	return list_member_oid(oids, relid) || list_member_oid(oids, root_of(relid));
}

/* Relations with cascading foreign-key actions toward another relation: (conrelid, confrelid) pairs. */
static void
cascade_pairs(List **from, List **to)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint c = (Form_pg_constraint) GETSTRUCT(tup);

		if (c->contype != CONSTRAINT_FOREIGN)
			continue;
		if (c->confdeltype == FKCONSTR_ACTION_CASCADE || c->confdeltype == FKCONSTR_ACTION_SETNULL ||
			c->confdeltype == FKCONSTR_ACTION_SETDEFAULT || c->confupdtype == FKCONSTR_ACTION_CASCADE ||
			c->confupdtype == FKCONSTR_ACTION_SETNULL || c->confupdtype == FKCONSTR_ACTION_SETDEFAULT)
		{
			*from = lappend_oid(*from, c->conrelid);
			*to = lappend_oid(*to, c->confrelid);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

struct Counted
{
	Oid			relid;
	int64		ins;
	int64		upd;
	int64		del;
};

/* Reads this subtransaction's counters of every relation that has storage. */
static List *
read_counts(void)
{
	List	   *out = NIL;
	int			level = GetCurrentTransactionNestLevel();
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
		PgStat_TableStatus *st;
		PgStat_TableXactStatus *t;
		Counted    *k;

		/* the catalog rows a DDL statement changes are not what anyone asked about */
		if ((c->relkind != RELKIND_RELATION && c->relkind != RELKIND_MATVIEW) ||
			IsCatalogNamespace(c->relnamespace) || IsToastNamespace(c->relnamespace))
			continue;
		st = find_tabstat_entry_compat(c->oid);
		if (st == nullptr || (t = st->trans) == nullptr || t->nest_level != level)
			continue;
		if (t->tuples_inserted + t->tuples_updated + t->tuples_deleted == 0)
			continue;
		k = static_cast<Counted *>(palloc(sizeof(Counted)));
		k->relid = c->oid;
		k->ins = t->tuples_inserted;
		k->upd = t->tuples_updated;
		k->del = t->tuples_deleted;
		out = lappend(out, k);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

static const char *
dml_via(Oid relid, List *direct, List *changed_roots, List *from, List *to)
{
	ListCell   *a;
	ListCell   *b;
	Oid			root = root_of(relid);

	if (oid_in_roots(direct, relid))
		return "direct";
	forboth(a, from, b, to)
		if ((lfirst_oid(a) == relid || lfirst_oid(a) == root) && list_member_oid(changed_roots, lfirst_oid(b)))
			return "cascade";
	foreach(a, direct)
		if (get_rel_relkind(lfirst_oid(a)) == RELKIND_VIEW || relation_has_rules_compat(lfirst_oid(a)))
			return "rule";
	return "trigger";
}

/* Rows of a table a DDL statement would drop or truncate: counted under the caller's snapshot (a
 * full scan; no privilege is needed to learn the count, the preview already told the object). -1 for
 * relations without rows of their own. */
static int64
counted_rows(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	int64		rows = -1;

	if (rel == nullptr)
		return -1;
	if (rel->rd_rel->relkind == RELKIND_RELATION || rel->rd_rel->relkind == RELKIND_MATVIEW)
	{
		TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, nullptr);
		TupleTableSlot *slot = table_slot_create(rel, nullptr);

		rows = 0;
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			CHECK_FOR_INTERRUPTS();
			rows++;
		}
		ExecDropSingleTupleTableSlot(slot);
		table_endscan(scan);
	}
	relation_close(rel, AccessShareLock);
	return rows;
}

/* Objects worth a row: whole objects, and columns; not a table's row type, toast or internal parts. */
static bool
worth_a_row(const ObjectAddress *a, List *direct_objects)
{
	ListCell   *lc;

	foreach(lc, direct_objects)
	{
		const ObjectAddress *d = static_cast<const ObjectAddress *>(lfirst(lc));

		if (d->classId == a->classId && d->objectId == a->objectId && d->objectSubId == a->objectSubId)
			return true;
	}
	if (a->classId == RelationRelationId)
	{
		char		k = get_rel_relkind(a->objectId);

		return k == RELKIND_RELATION || k == RELKIND_PARTITIONED_TABLE || k == RELKIND_VIEW ||
			k == RELKIND_MATVIEW || k == RELKIND_SEQUENCE || k == RELKIND_FOREIGN_TABLE;
	}
	if (a->classId == TypeRelationId)
		return false;			/* row and array types go with their table */
	return a->classId == NamespaceRelationId || a->classId == ProcedureRelationId;
}

/*
 * Runs one statement in a subtransaction that is always rolled back; returns the Counted list of the
 * rows it changed (and fills the dropped list through the object-access hook).
 */
static List *
execute_rolled_back(const char *statement)
{
	List	   *volatile counts = NIL;
	MemoryContext caller_cxt = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	int			saved_mode = guc_mode;

	dropped = NIL;
	collect_cxt = caller_cxt;
	preview_timed_out = false;
	if (preview_timeout_id < 0)
		preview_timeout_id = RegisterTimeout(USER_TIMEOUT, preview_timeout_handler);

	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(caller_cxt);
	saved_oat = object_access_hook;
	object_access_hook = preview_oat;
	preview_active = true;
	if (guc_mode == AG_MODE_ENFORCE)
		guc_mode = AG_MODE_WARN;
	PG_TRY();
	{
		int			rc;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_agentguard: SPI_connect failed");
		if (guc_preview_timeout > 0)
			enable_timeout_after(static_cast<TimeoutId>(preview_timeout_id), guc_preview_timeout);
		rc = SPI_execute(statement, false, 0);
		if (guc_preview_timeout > 0)
			disable_timeout(static_cast<TimeoutId>(preview_timeout_id), false);
		if (rc < 0)
			elog(ERROR, "pg_agentguard: preview of the statement failed: %s", SPI_result_code_string(rc));
		CommandCounterIncrement();
		MemoryContextSwitchTo(caller_cxt);
		counts = read_counts();
		SPI_finish();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (guc_preview_timeout > 0)
			disable_timeout(static_cast<TimeoutId>(preview_timeout_id), false);
		object_access_hook = saved_oat;
		preview_active = false;
		guc_mode = saved_mode;
		MemoryContextSwitchTo(caller_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_cxt);
		CurrentResourceOwner = caller_owner;
		if (preview_timed_out)
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("preview stopped after %d ms (agentguard.preview_timeout)", guc_preview_timeout),
					 errdetail("The statement costs more than a preview may; nothing was changed."),
					 errhint("A DBA can raise agentguard.preview_timeout for the role.")));
		ReThrowError(edata);
	}
	PG_END_TRY();
	object_access_hook = saved_oat;
	preview_active = false;
	guc_mode = saved_mode;
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(caller_cxt);
	CurrentResourceOwner = caller_owner;
	return counts;
}

/* Runs one statement in a rolled-back subtransaction and returns its rows (PreviewRow list). */
static List *
run_preview(const char *statement, int64 *total)
{
	List	   *parsed;
	Node	   *tree;
	List	   *direct = NIL;
	List	   *direct_objects = NIL;
	List	   *counts;
	List	   *out = NIL;
	List	   *changed_roots = NIL;
	List	   *from = NIL;
	List	   *to = NIL;
	ListCell   *lc;

	parsed = raw_parser(statement, RAW_PARSE_DEFAULT);
	if (list_length(parsed) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("agentguard.preview() runs exactly one statement, not %d", list_length(parsed))));
	tree = linitial_node(RawStmt, parsed)->stmt;
	if (IsA(tree, TransactionStmt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("transaction control statements cannot be previewed")));
	direct_targets(tree, &direct, &direct_objects);
	counts = execute_rolled_back(statement);

	/* After the rollback every object exists again: names and sizes can be read. */
	*total = 0;
	foreach(lc, counts)
		changed_roots = lappend_oid(changed_roots, root_of(static_cast<Counted *>(lfirst(lc))->relid));
	cascade_pairs(&from, &to);
	foreach(lc, counts)
	{
		Counted    *k = static_cast<Counted *>(lfirst(lc));
		const char *via = dml_via(k->relid, direct, changed_roots, from, to);
		const char *cmds[3] = {"DELETE", "UPDATE", "INSERT"};
		int64		n[3] = {k->del, k->upd, k->ins};

		for (int i = 0; i < 3; i++)
		{
			PreviewRow *r;

			if (n[i] == 0)
				continue;
			r = static_cast<PreviewRow *>(palloc(sizeof(PreviewRow)));
			r->object = relation_display_name(k->relid);
			r->command = cmds[i];
			r->rows = n[i];
			r->via = via;
			out = lappend(out, r);
			*total += n[i];
		}
	}
	foreach(lc, dropped)
	{
		Dropped    *d = static_cast<Dropped *>(lfirst(lc));
		PreviewRow *r;
		bool		is_direct = false;
		ListCell   *lc2;
		char	   *kind;

		if (!worth_a_row(&d->addr, direct_objects) && !d->truncate)
			continue;
		foreach(lc2, direct_objects)
		{
			const ObjectAddress *a = static_cast<const ObjectAddress *>(lfirst(lc2));

			if (a->classId == d->addr.classId && a->objectId == d->addr.objectId &&
				a->objectSubId == d->addr.objectSubId)
				is_direct = true;
		}
		if (d->truncate && list_member_oid(direct, d->addr.objectId))
			is_direct = true;
		r = static_cast<PreviewRow *>(palloc(sizeof(PreviewRow)));
		kind = getObjectTypeDescription(&d->addr, true);
		r->object = d->addr.classId == RelationRelationId && d->addr.objectSubId == 0 ? relation_display_name(d->addr.objectId)
			: getObjectIdentity(&d->addr, true);
		if (r->object == nullptr)
			continue;
		r->command = d->truncate ? "TRUNCATE" : psprintf("DROP %s", kind != nullptr ? asc_toupper(kind, strlen(kind)) : "");
		r->rows = -1;
		if (d->addr.classId == RelationRelationId && d->addr.objectSubId == 0)
			r->rows = counted_rows(d->addr.objectId);
		r->via = is_direct ? "direct" : "cascade";
		out = lappend(out, r);
		if (r->rows > 0)
			*total += r->rows;
	}
	return out;
}

static void
emit_rows(FunctionCallInfo fcinfo, List *rows)
{
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	ListCell   *lc;

	InitMaterializedSRF_compat(fcinfo);
	foreach(lc, rows)
	{
		PreviewRow *r = static_cast<PreviewRow *>(lfirst(lc));
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};

		v[0] = CStringGetTextDatum(r->object);
		v[1] = CStringGetTextDatum(r->command);
		v[2] = Int64GetDatum(r->rows);
		nulls[2] = r->rows < 0;
		v[3] = CStringGetTextDatum(r->via);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
}

static List *
object_names(List *rows)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, rows)
	{
		PreviewRow *r = static_cast<PreviewRow *>(lfirst(lc));

		names = lappend(names, psprintf("%s %s %s", r->command, r->object, r->via));
	}
	return names;
}

static const char *const kSelectPendingStatement =
	"SELECT statement FROM agentguard.requests WHERE id OPERATOR(pg_catalog.=) $1 "
	"AND status OPERATOR(pg_catalog.=) 'pending'";

static const char *const kStorePreview =
	"UPDATE agentguard.requests SET last_preview = $2::pg_catalog.jsonb, "
	"last_preview_at = pg_catalog.clock_timestamp() WHERE id OPERATOR(pg_catalog.=) $1";

/* Keeps the preview of a request for agentguard.pending (in the approver's transaction). */
static void
store_preview(int64 id, List *rows)
{
	StringInfoData j;
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		args[2];
	OwnerSql	os;
	ListCell   *lc;

	initStringInfo(&j);
	appendStringInfoChar(&j, '[');
	foreach(lc, rows)
	{
		PreviewRow *r = static_cast<PreviewRow *>(lfirst(lc));

		if (j.len > 1)
			appendStringInfoChar(&j, ',');
		appendStringInfoString(&j, "{\"object\":");
		escape_json(&j, r->object);
		appendStringInfoString(&j, ",\"command\":");
		escape_json(&j, r->command);
		if (r->rows >= 0)
			appendStringInfo(&j, ",\"rows\":" INT64_FORMAT, r->rows);
		else
			appendStringInfoString(&j, ",\"rows\":null");
		appendStringInfoString(&j, ",\"via\":");
		escape_json(&j, r->via);
		appendStringInfoChar(&j, '}');
	}
	appendStringInfoChar(&j, ']');
	args[0] = Int64GetDatum(id);
	args[1] = CStringGetTextDatum(j.data);
	owner_sql_begin(&os);
	PG_TRY();
	{
		if (SPI_execute_with_args(kStorePreview, 2, types, args, nullptr, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "pg_agentguard: keeping the preview of request " INT64_FORMAT " failed", id);
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
}

}  // namespace agentguard

using namespace agentguard;

extern "C" {

PG_FUNCTION_INFO_V1(ag_preview);
PG_FUNCTION_INFO_V1(ag_preview_request);

Datum
ag_preview(PG_FUNCTION_ARGS)
{
	char	   *statement;
	bool		agent = session_is_guarded();
	List	   *rows;
	int64		total = 0;

	if (!agent)
		require_approver("preview");
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("statement must not be NULL")));
	if (preview_active)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("a preview cannot run a preview")));
	statement = text_to_cstring(PG_GETARG_TEXT_PP(0));
	rows = run_preview(statement, &total);
	if (agent)
		report_preview_event(statement, object_names(rows), total);
	emit_rows(fcinfo, rows);
	return (Datum) 0;
}

Datum
ag_preview_request(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *statement = nullptr;
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	OwnerSql	os;
	List	   *rows;
	int64		total = 0;
	MemoryContext caller = CurrentMemoryContext;

	require_approver("preview_request");
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("request_id must not be NULL")));
	if (preview_active)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("a preview cannot run a preview")));
	id = PG_GETARG_INT64(0);
	args[0] = Int64GetDatum(id);
	owner_sql_begin(&os);
	PG_TRY();
	{
		if (SPI_execute_with_args(kSelectPendingStatement, 1, types, args, nullptr, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "pg_agentguard: reading request " INT64_FORMAT " failed", id);
		if (SPI_processed == 1)
		{
			char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			MemoryContext old = MemoryContextSwitchTo(caller);

			statement = s != nullptr ? pstrdup(s) : nullptr;
			MemoryContextSwitchTo(old);
		}
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
	if (statement == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("request " INT64_FORMAT " is not pending", id),
				 errhint("agentguard.pending lists the requests awaiting a decision.")));
	rows = run_preview(statement, &total);
	store_preview(id, rows);
	emit_rows(fcinfo, rows);
	return (Datum) 0;
}

}  // extern "C"
