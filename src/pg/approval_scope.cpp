/*
 * approval_scope.cpp — the reach of a destructive utility statement, and the permission pre-check
 * (approval_scope.hpp, SPEC §5).
 *
 * The reach is computed from the catalogs without locks, the way PostgreSQL's own deletion finds what a
 * DROP takes along: from each object, every object that depends on it (pg_depend, by reference;
 * normal dependencies only under CASCADE), and the owner of every object that is an internal part of
 * another (a view's rule brings the view). TRUNCATE follows inheritance and, under CASCADE, foreign
 * keys (heap_truncate_find_FKs, as TRUNCATE itself does). DROP OWNED starts from pg_shdepend.
 * The same computation runs when a statement is blocked (its request records the result) and when a
 * token is presented (a token matches only while nothing outside the recorded set is reached), and the
 * object-access hook checks what PostgreSQL really drops and truncates against the same set.
 *
 * A reach is capped at kMaxReach OIDs (the audit record's bound): a statement reaching more cannot be
 * approved through a request, since the object-access hook refuses what the recorded set lacks.
 */
#include "pg/pg_headers.hpp"

#include "pg/approval_scope.hpp"
#include "pg/hooks.hpp"
#include "pg/owner_sql.hpp"

namespace agentguard {

static const int kMaxReach = 4000;

struct SeenKey
{
	Oid			classId;
	Oid			objectId;
	int32		subId;
};

struct Seen
{
	HTAB	   *addrs;			/* SeenKey: visited by the walk */
	HTAB	   *oids;			/* Oid: already in Reach.oids */
};

static HTAB *
make_set(const char *name, Size keysize)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = keysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
reach_init(Reach *r, List *objects, List *oids)
{
	Seen	   *s = static_cast<Seen *>(palloc0(sizeof(Seen)));
	ListCell   *lc;

	s->addrs = make_set("pg_agentguard reach objects", sizeof(SeenKey));
	s->oids = make_set("pg_agentguard reach oids", sizeof(Oid));
	r->objects = objects;
	r->oids = oids;
	r->seen = s;
	foreach(lc, oids)
	{
		Oid			o = lfirst_oid(lc);

		(void) hash_search(s->oids, &o, HASH_ENTER, nullptr);
	}
}

/* A name for the human reading the request: relations, schemas, functions, types, foreign keys. */
static char *
shown_name(Oid classId, Oid objectId)
{
	ObjectAddress addr;

	if (classId == RelationRelationId)
	{
		char		kind = get_rel_relkind(objectId);
		Oid			nsp = get_rel_namespace(objectId);
		char	   *rel = get_rel_name(objectId);

		if (kind == RELKIND_INDEX || kind == RELKIND_PARTITIONED_INDEX || kind == RELKIND_TOASTVALUE ||
			kind == RELKIND_COMPOSITE_TYPE || rel == nullptr)
			return nullptr;
		return psprintf("%s.%s", quote_identifier(isAnyTempNamespace(nsp) ? "pg_temp" : get_namespace_name(nsp)),
						quote_identifier(rel));
	}
	if (classId == TypeRelationId)
	{
		char		t = get_typtype(objectId);

		if (t != TYPTYPE_DOMAIN && t != TYPTYPE_ENUM && t != TYPTYPE_RANGE)
			return nullptr;
	}
	else if (classId == ConstraintRelationId)
	{
		HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(objectId));
		bool		fk = false;

		if (HeapTupleIsValid(tup))
		{
			fk = ((Form_pg_constraint) GETSTRUCT(tup))->contype == CONSTRAINT_FOREIGN;
			ReleaseSysCache(tup);
		}
		if (!fk)
			return nullptr;
	}
	else if (classId != NamespaceRelationId && classId != ProcedureRelationId &&
			 classId != ForeignServerRelationId && classId != ExtensionRelationId)
		return nullptr;
	addr.classId = classId;
	addr.objectId = objectId;
	addr.objectSubId = 0;
	return getObjectDescription(&addr, true);
}

bool
reach_records(Oid classId, Oid objectId)
{
	if (classId == RelationRelationId)
		return !IsToastNamespace(get_rel_namespace(objectId));
	if (classId == TypeRelationId)
	{
		Oid			typrelid = get_typ_typrelid(objectId);

		if (OidIsValid(typrelid) && get_rel_relkind(typrelid) != RELKIND_COMPOSITE_TYPE)
			return false;		/* a table's row type */
		return !OidIsValid(get_element_type(objectId));		/* not an array type */
	}
	return true;
}

static void note_object(Reach *r, Oid classId, Oid objectId, bool shown);

static void
note_oid(Reach *r, Oid classId, Oid objectId)
{
	note_object(r, classId, objectId, true);
}

/* shown: the object gets a name in the request (when its kind is shown at all). */
static void
note_object(Reach *r, Oid classId, Oid objectId, bool shown)
{
	Seen	   *s = static_cast<Seen *>(r->seen);
	bool		found;
	char	   *name;

	if (!OidIsValid(objectId) || list_length(r->oids) >= kMaxReach || !reach_records(classId, objectId))
		return;
	(void) hash_search(s->oids, &objectId, HASH_ENTER, &found);
	if (found)
		return;
	r->oids = lappend_oid(r->oids, objectId);
	name = shown ? shown_name(classId, objectId) : nullptr;
	if (name != nullptr)
		r->objects = lappend(r->objects, name);
}

/* True the first time (classId, objectId, subId) is seen. */
static bool
first_visit(Reach *r, Oid classId, Oid objectId, int32 subId)
{
	Seen	   *s = static_cast<Seen *>(r->seen);
	SeenKey		k;
	bool		found;

	memset(&k, 0, sizeof(k));
	k.classId = classId;
	k.objectId = objectId;
	k.subId = subId;
	(void) hash_search(s->addrs, &k, HASH_ENTER, &found);
	return !found;
}

static SeenKey *
make_key(Oid classId, Oid objectId, int32 subId)
{
	SeenKey    *k = static_cast<SeenKey *>(palloc(sizeof(SeenKey)));

	k->classId = classId;
	k->objectId = objectId;
	k->subId = subId;
	return k;
}

void
reach_add_drop(Reach *r, Oid classId, Oid objectId, bool cascade)
{
	List	   *queue = NIL;
	Relation	dep;

	if (!OidIsValid(objectId))
		return;
	note_oid(r, classId, objectId);
	if (!first_visit(r, classId, objectId, 0))
		return;
	queue = lappend(queue, make_key(classId, objectId, 0));
	dep = table_open(DependRelationId, AccessShareLock);
	while (queue != NIL && list_length(r->oids) < kMaxReach)
	{
		SeenKey    *cur = static_cast<SeenKey *>(linitial(queue));
		ScanKeyData key[3];
		int			nkeys = 2;
		SysScanDesc scan;
		HeapTuple	tup;

		queue = list_delete_first(queue);
		CHECK_FOR_INTERRUPTS();

		/* What depends on it: dropped with it. */
		ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(cur->classId));
		ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(cur->objectId));
		if (cur->subId != 0)
		{
			ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
						Int32GetDatum(cur->subId));
			nkeys = 3;
		}
		scan = systable_beginscan(dep, DependReferenceIndexId, true, nullptr, nkeys, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);

			if (d->deptype == DEPENDENCY_NORMAL && !cascade)
				continue;		/* without CASCADE PostgreSQL refuses instead */
			/* a table's own constraints go with it unnamed; a foreign key reached from the table it
			 * references is worth naming */
			note_object(r, d->classid, d->objid,
						d->classid != ConstraintRelationId || d->deptype == DEPENDENCY_NORMAL);
			if (first_visit(r, d->classid, d->objid, d->objsubid))
				queue = lappend(queue, make_key(d->classid, d->objid, d->objsubid));
		}
		systable_endscan(scan);

		if (cur->subId != 0)
			continue;			/* a column goes alone, its table stays */

		/* What it is an internal part of (a view's rule, a constraint's index): dropped as a whole. */
		ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(cur->classId));
		ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(cur->objectId));
		scan = systable_beginscan(dep, DependDependerIndexId, true, nullptr, 2, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);

			if (d->deptype != DEPENDENCY_INTERNAL)
				continue;
			note_oid(r, d->refclassid, d->refobjid);
			if (first_visit(r, d->refclassid, d->refobjid, 0))
				queue = lappend(queue, make_key(d->refclassid, d->refobjid, 0));
		}
		systable_endscan(scan);
	}
	table_close(dep, AccessShareLock);
}

void
reach_add_members(Reach *r, Oid relid)
{
	List	   *members;
	ListCell   *lc;

	if (!OidIsValid(relid) || !has_subclass(relid))
		return;
	members = find_all_inheritors(relid, NoLock, nullptr);
	foreach(lc, members)
		note_oid(r, RelationRelationId, lfirst_oid(lc));
}

void
reach_add_truncate(Reach *r, List *relids, List *inh, bool cascade)
{
	List	   *all = NIL;
	ListCell   *lc;
	ListCell   *lc2;

	forboth(lc, relids, lc2, inh)
	{
		Oid			relid = lfirst_oid(lc);

		if (!OidIsValid(relid))
			continue;
		all = list_append_unique_oid(all, relid);
		if (lfirst_int(lc2) && has_subclass(relid))
		{
			List	   *members = find_all_inheritors(relid, NoLock, nullptr);

			all = list_concat_unique_oid(all, members);
		}
	}
	while (cascade && list_length(all) < kMaxReach)
	{
		List	   *referencing = heap_truncate_find_FKs(all);
		int			before = list_length(all);

		foreach(lc, referencing)
		{
			Oid			relid = lfirst_oid(lc);

			all = list_append_unique_oid(all, relid);
			if (has_subclass(relid))
				all = list_concat_unique_oid(all, find_all_inheritors(relid, NoLock, nullptr));
		}
		if (list_length(all) == before)
			break;
	}
	foreach(lc, all)
		note_oid(r, RelationRelationId, lfirst_oid(lc));
}

void
reach_add_owned(Reach *r, Oid roleid, bool cascade)
{
	Relation	shdep;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *owned = NIL;
	ListCell   *lc;

	if (!OidIsValid(roleid))
		return;
	shdep = table_open(SharedDependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_shdepend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(AuthIdRelationId));
	ScanKeyInit(&key[1], Anum_pg_shdepend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(roleid));
	scan = systable_beginscan(shdep, SharedDependReferenceIndexId, true, nullptr, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_shdepend d = (Form_pg_shdepend) GETSTRUCT(tup);

		if (d->dbid != MyDatabaseId || d->deptype != SHARED_DEPENDENCY_OWNER)
			continue;
		owned = lappend(owned, make_key(d->classid, d->objid, 0));
	}
	systable_endscan(scan);
	table_close(shdep, AccessShareLock);
	foreach(lc, owned)
	{
		SeenKey    *k = static_cast<SeenKey *>(lfirst(lc));

		reach_add_drop(r, k->classId, k->objectId, cascade);
	}
}

/* ---------- permissions ---------- */

/* Owner and schema of a catalog object; false when its class has no owner column or it is gone. */
static bool
object_owner(Oid classId, Oid objectId, Oid *owner, Oid *nsp)
{
	AttrNumber	owner_att;
	AttrNumber	nsp_att;
	Relation	cat;
	HeapTuple	tup;
	bool		ok = false;

	*owner = InvalidOid;
	*nsp = InvalidOid;
	if (!is_objectclass_supported(classId))
		return false;
	owner_att = get_object_attnum_owner(classId);
	if (owner_att == InvalidAttrNumber)
		return false;
	nsp_att = get_object_attnum_namespace(classId);
	cat = table_open(classId, AccessShareLock);
	tup = get_catalog_object_by_oid(cat, get_object_attnum_oid(classId), objectId);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, owner_att, RelationGetDescr(cat), &isnull);

		if (!isnull)
		{
			*owner = DatumGetObjectId(d);
			ok = true;
		}
		if (nsp_att != InvalidAttrNumber)
		{
			d = heap_getattr(tup, nsp_att, RelationGetDescr(cat), &isnull);
			if (!isnull)
				*nsp = DatumGetObjectId(d);
		}
	}
	table_close(cat, AccessShareLock);
	return ok;
}

static bool
owns(Oid classId, Oid objectId)
{
	Oid			owner;
	Oid			nsp;

	if (!object_owner(classId, objectId, &owner, &nsp))
		return true;			/* unknown: let the guard judge */
	return has_privs_of_role(GetUserId(), owner);
}

bool
cannot_drop(Oid classId, Oid objectId)
{
	Oid			owner;
	Oid			nsp;

	if (!OidIsValid(objectId) || superuser())
		return false;
	if (!object_owner(classId, objectId, &owner, &nsp))
		return false;
	if (has_privs_of_role(GetUserId(), owner))
		return false;
	/* The owner of an object's schema may drop it too (RemoveObjects, RemoveRelations). */
	if (OidIsValid(nsp) && owns(NamespaceRelationId, nsp))
		return false;
	return true;
}

bool
cannot_truncate(Oid relid)
{
	if (!OidIsValid(relid) || superuser())
		return false;
	return pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE) != ACLCHECK_OK;
}

bool
cannot_alter_table(Oid relid)
{
	if (!OidIsValid(relid) || superuser())
		return false;
	return !owns(RelationRelationId, relid);
}

bool
cannot_drop_owned(Oid roleid)
{
	if (!OidIsValid(roleid) || superuser())
		return false;
	return !has_privs_of_role(GetUserId(), roleid);
}

/* ---------- statements ---------- */

static bool
names_relations(ObjectType t)
{
	switch (t)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_SEQUENCE:
		case OBJECT_INDEX:
		case OBJECT_FOREIGN_TABLE:
			return true;
		default:
			return false;
	}
}

/* The relation a name means, without locks and without permission checks (the statement's own errors
 * come from PostgreSQL later). */
static Oid
relation_of(RangeVar *rv)
{
	Oid			nsp;

	if (rv == nullptr)
		return InvalidOid;
	if (rv->schemaname == nullptr)
		return RelnameGetRelid(rv->relname);
	if (strcmp(rv->schemaname, "pg_temp") == 0)
		nsp = LookupExplicitNamespace(rv->schemaname, true);
	else
		nsp = get_namespace_oid(rv->schemaname, true);
	return OidIsValid(nsp) ? get_relname_relid(rv->relname, nsp) : InvalidOid;
}

void
statement_reach(Node *parsetree, List **objects, List **oids, bool *refused, int *unresolved)
{
	Reach		r;
	ListCell   *lc;

	*refused = false;
	*unresolved = 0;
	reach_init(&r, *objects, *oids);
	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			{
				DropStmt   *s = castNode(DropStmt, parsetree);
				bool		cascade = s->behavior == DROP_CASCADE;

				foreach(lc, s->objects)
				{
					Node	   *obj = static_cast<Node *>(lfirst(lc));
					ObjectAddress addr;
					Relation	rel = nullptr;

					if (names_relations(s->removeType))
					{
						addr.classId = RelationRelationId;
						addr.objectId = relation_of(makeRangeVarFromNameList(castNode(List, obj)));
					}
					else
					{
						addr = get_object_address(s->removeType, obj, &rel, AccessShareLock, true);
						if (rel != nullptr)
							relation_close(rel, NoLock);
					}
					if (!OidIsValid(addr.objectId))
					{
						if (!s->missing_ok)
							(*unresolved)++;
						continue;
					}
					*refused = *refused || cannot_drop(addr.classId, addr.objectId);
					note_object(&r, addr.classId, addr.objectId, false);	/* named already */
					reach_add_drop(&r, addr.classId, addr.objectId, cascade);
				}
				break;
			}
		case T_TruncateStmt:
			{
				TruncateStmt *s = castNode(TruncateStmt, parsetree);
				List	   *relids = NIL;
				List	   *inh = NIL;

				foreach(lc, s->relations)
				{
					RangeVar   *rv = castNode(RangeVar, lfirst(lc));
					Oid			relid = relation_of(rv);

					if (!OidIsValid(relid))
						(*unresolved)++;
					*refused = *refused || cannot_truncate(relid);
					relids = lappend_oid(relids, relid);
					inh = lappend_int(inh, rv->inh ? 1 : 0);
				}
				reach_add_truncate(&r, relids, inh, s->behavior == DROP_CASCADE);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *s = castNode(AlterTableStmt, parsetree);
				Oid			relid = relation_of(s->relation);

				if (!OidIsValid(relid))
				{
					if (!s->missing_ok)
						(*unresolved)++;
					break;
				}
				*refused = cannot_alter_table(relid);
				if (s->relation->inh)
					reach_add_members(&r, relid);
				break;
			}
		case T_DropOwnedStmt:
			{
				DropOwnedStmt *s = castNode(DropOwnedStmt, parsetree);

				foreach(lc, s->roles)
				{
					Oid			role = get_rolespec_oid(castNode(RoleSpec, lfirst(lc)), true);

					if (!OidIsValid(role))
						(*unresolved)++;
					*refused = *refused || cannot_drop_owned(role);
					reach_add_owned(&r, role, s->behavior == DROP_CASCADE);
				}
				break;
			}
		default:
			break;
	}
	*objects = r.objects;
	*oids = r.oids;
}


/* The search_path an agent's session starts with here: ALTER ROLE ... IN DATABASE, ALTER ROLE, ALTER
 * DATABASE, ALTER ROLE ALL, in PostgreSQL's order of precedence. */
static const char *const kAgentSearchPath =
	"SELECT pg_catalog.substr(u.c, 13) FROM pg_catalog.pg_db_role_setting s, "
	"pg_catalog.unnest(s.setconfig) AS u(c) "
	"WHERE s.setrole OPERATOR(pg_catalog.=) ANY (ARRAY[$2, 0::pg_catalog.oid]) "
	"AND s.setdatabase OPERATOR(pg_catalog.=) ANY (ARRAY[$1, 0::pg_catalog.oid]) "
	"AND u.c OPERATOR(pg_catalog.~~) 'search\\_path=%' "
	"ORDER BY s.setrole OPERATOR(pg_catalog.<>) 0 DESC, s.setdatabase OPERATOR(pg_catalog.<>) 0 DESC LIMIT 1";

/* ---------- grant_token: the statement's objects, as the agent would resolve them ---------- */

struct SearchPathLookup
{
	Datum		args[2];
	MemoryContext caller;
	char	   *setting;		/* out, in caller; NULL when no setting applies */
};

static void
search_path_body(void *arg)
{
	SearchPathLookup *l = static_cast<SearchPathLookup *>(arg);
	Oid			types[2] = {OIDOID, OIDOID};

	if (SPI_execute_with_args(kAgentSearchPath, 2, types, l->args, nullptr, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading pg_db_role_setting failed");
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v != nullptr)
			l->setting = MemoryContextStrdup(l->caller, v);
	}
}

/* The agent role's own search_path, "$user" spelled out as its name (PostgreSQL's default when no
 * setting applies). */
static char *
agent_search_path(Oid agent, const char *agent_name)
{
	SearchPathLookup l = {{ObjectIdGetDatum(MyDatabaseId), ObjectIdGetDatum(agent)}, CurrentMemoryContext, nullptr};
	char	   *raw;
	List	   *names;
	ListCell   *lc;
	StringInfoData buf;

	owner_sql_run(search_path_body, nullptr, &l);

	raw = pstrdup(l.setting != nullptr ? l.setting : "\"$user\", public");
	if (!SplitIdentifierString(raw, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the search_path setting of role \"%s\" is not a valid list", agent_name)));
	initStringInfo(&buf);
	foreach(lc, names)
	{
		const char *n = static_cast<const char *>(lfirst(lc));

		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, quote_identifier(strcmp(n, "$user") == 0 ? agent_name : n));
	}
	return buf.data;
}

static void
add_dml_target(RangeVar *rv, List **oids, List **missing)
{
	Oid			relid;

	if (rv == nullptr)
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
	{
		*missing = lappend(*missing, quote_qualified_identifier(rv->schemaname, rv->relname));
		return;
	}
	*oids = list_append_unique_oid(*oids, relid);
	if (has_subclass(relid))
		*oids = list_concat_unique_oid(*oids, find_all_inheritors(relid, NoLock, nullptr));
}

static RangeVar *
dml_target(Node *n, WithClause **with)
{
	*with = nullptr;
	if (n == nullptr)
		return nullptr;
	switch (nodeTag(n))
	{
		case T_DeleteStmt:
			*with = castNode(DeleteStmt, n)->withClause;
			return castNode(DeleteStmt, n)->relation;
		case T_UpdateStmt:
			*with = castNode(UpdateStmt, n)->withClause;
			return castNode(UpdateStmt, n)->relation;
		case T_InsertStmt:
			*with = castNode(InsertStmt, n)->withClause;
			return castNode(InsertStmt, n)->relation;
		case T_MergeStmt:
			*with = castNode(MergeStmt, n)->withClause;
			return castNode(MergeStmt, n)->relation;
		case T_SelectStmt:
			*with = castNode(SelectStmt, n)->withClause;
			return nullptr;
		default:
			return nullptr;
	}
}

/* The tables a DML statement writes: its target and those of its writable CTEs, with their members. */
static void
dml_targets(Node *n, List **oids, List **missing)
{
	WithClause *with;
	RangeVar   *rv = dml_target(n, &with);
	ListCell   *lc;

	check_stack_depth();
	add_dml_target(rv, oids, missing);
	if (with == nullptr)
		return;
	foreach(lc, with->ctes)
		dml_targets(castNode(CommonTableExpr, lfirst(lc))->ctequery, oids, missing);
}

/*
 * Resolves the objects of a statement given to grant_token() with the agent role's own search_path
 * (never the approver's) and returns their OIDs, as a request would record them. Refuses a statement
 * whose objects do not all exist or are ambiguous (PostgreSQL's own lookup errors).
 */
List *
granted_objects(Node *stmt, Oid agent, const char *agent_name)
{
	char	   *path = agent_search_path(agent, agent_name);
	int			nest = NewGUCNestLevel();
	List	   *objects = NIL;
	List	   *oids = NIL;
	List	   *missing = NIL;
	int			unresolved = 0;

	(void) set_config_option("search_path", path, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (!utility_statement_reach(stmt, &objects, &oids, &unresolved))
		dml_targets(stmt, &oids, &missing);
	(void) objects;
	AtEOXact_GUC(true, nest);
	if (unresolved > 0 || missing != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cannot resolve every object of the statement for role \"%s\"", agent_name),
				 missing != NIL ? errdetail("Relation %s does not exist with search_path %s.",
											 static_cast<char *>(linitial(missing)), path)
				 : errdetail("%d object(s) named in it do not exist with search_path %s.", unresolved, path),
				 errhint("A token is bound to the objects the agent's statement means; schema-qualify the names.")));
	return oids;
}

}  // namespace agentguard
