/*
 * utility_hook.cpp — the ProcessUtility hook: destructive DDL and self-protection (SPEC §3).
 *
 * Every utility statement of a guarded session passes here before PostgreSQL runs it — at top level, in
 * functions, procedures, DO blocks, EXECUTE and each statement of a multi-statement string — so the
 * verdict comes before anything changed. Each statement is judged alone, with its own text cut out of
 * the query string by stmt_location/stmt_len.
 *
 * Name resolution here takes no locks (NoLock lookups): it only classifies. The object-access hook
 * (object_access.cpp) checks the objects PostgreSQL really drops, while it drops them, against the
 * permission this hook recorded in the statement's frame, so a name that resolves differently by then,
 * or a cascade, cannot slip through.
 *
 * Frames form a stack on the C stack; PG_FINALLY pops them when an ERROR unwinds.
 */
#include "pg/pg_headers.hpp"

#include "core/policy.hpp"
#include "pg/approval_scope.hpp"
#include "pg/breaker.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

int			internal_depth = 0;

struct UtilityFrame
{
	UtilityFrame *prev;
	DropPermission drops;
	const char *statement;		/* set once judged; else made on demand from the fields below */
	const char *command;
	const char *query;
	int			location;
	int			length;
	Node	   *parsetree;
	const Oid  *scope;			/* a token's objects (sorted) when one approved it, else NULL */
	int			nscope;
};

static UtilityFrame *innermost_frame = nullptr;
static ProcessUtility_hook_type prev_ProcessUtility = nullptr;

DropPermission
current_drop_permission(const char **statement, const char **command)
{
	if (innermost_frame == nullptr)
	{
		*statement = nullptr;
		*command = nullptr;
		return DROPS_NONE;
	}
	if (innermost_frame->statement == nullptr)
		innermost_frame->statement = statement_text(innermost_frame->query, innermost_frame->location,
													innermost_frame->length);
	if (innermost_frame->command == nullptr)
		innermost_frame->command = GetCommandTagName(CreateCommandTag(innermost_frame->parsetree));
	*statement = innermost_frame->statement;
	*command = innermost_frame->command;
	return innermost_frame->drops;
}

const Oid *
current_drop_scope(int *n)
{
	*n = 0;
	if (innermost_frame == nullptr || innermost_frame->drops != DROPS_ALLOWED)
		return nullptr;
	*n = innermost_frame->nscope;
	return innermost_frame->scope;
}

/* The classification of one utility statement. */
struct Verdict
{
	StatementClass cls;
	const char *reason;
	List	   *objects;		/* char * */
	List	   *oids;			/* Oid */
	bool		all_temp;		/* every object it destroys is a temporary object of this session */
};

static const char *const kReasonDrop = "agents may not drop objects without an approval";
static const char *const kReasonTruncate = "agents may not truncate tables without an approval";
static const char *const kReasonRole = "role and membership changes need an approval";
static const char *const kReasonSchema = "agents may not create, alter or drop anything in schema agentguard";
static const char *const kReasonExtension = "agents may not create, alter or drop the pg_agentguard extension";
static const char *const kReasonSettings = "agents may not change pg_agentguard settings";
static const char *const kReasonGuardRoles = "agents may not change the agentguard roles or their members";

static void
mark_destructive(Verdict *v, const char *reason)
{
	if (v->cls == StatementClass::SelfProtection)
		return;
	v->cls = StatementClass::DestructiveDdl;
	v->reason = reason;
}

static void
mark_self(Verdict *v, const char *reason)
{
	v->cls = StatementClass::SelfProtection;
	v->reason = reason;
}

static bool
is_guard_role_name(const char *name)
{
	return name != nullptr &&
		(strcmp(name, AG_AGENT_ROLE) == 0 || strcmp(name, AG_APPROVER_ROLE) == 0);
}

static bool
is_guard_schema(Oid nsp)
{
	return OidIsValid(nsp) && nsp == guard_schema_oid();
}

/* A qualified name list whose schema part names our schema, or that resolves into it. */
static bool
names_guard_schema(List *names)
{
	if (names == NIL || list_length(names) < 2 || !IsA(linitial(names), String))
		return false;
	return strcmp(strVal(linitial(names)), AG_SCHEMA) == 0;
}

/* A name list as typed; unlike NameListToString it accepts the TypeName members of DROP CAST and
 * DROP TRANSFORM instead of raising an error. */
static char *
names_to_string(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		Node	   *n = static_cast<Node *>(lfirst(lc));

		if (buf.len > 0)
			appendStringInfoChar(&buf, '.');
		if (IsA(n, String))
			appendStringInfoString(&buf, quote_identifier(strVal(n)));
		else if (IsA(n, TypeName))
			appendStringInfoString(&buf, TypeNameToString(castNode(TypeName, n)));
		else
			appendStringInfoChar(&buf, '?');
	}
	return buf.data;
}

static char *
qualified_relname(Oid relid)
{
	Oid			nspid = get_rel_namespace(relid);
	/* pg_temp_N changes from session to session; users know their temporary schema as pg_temp. */
	char	   *nsp = isAnyTempNamespace(nspid) ? pstrdup("pg_temp") : get_namespace_name(nspid);
	char	   *rel = get_rel_name(relid);

	if (nsp == nullptr || rel == nullptr)
		return psprintf("%u", relid);
	return psprintf("%s.%s", quote_identifier(nsp), quote_identifier(rel));
}

static bool
relation_is_own_temp(Oid relid)
{
	return get_rel_persistence(relid) == RELPERSISTENCE_TEMP &&
		isTempOrTempToastNamespace(get_rel_namespace(relid));
}

/*
 * The relation a name means, without locks and without permission checks: classifying must not fail
 * where PostgreSQL itself would report the statement's own error later (a schema without USAGE, say).
 */
static Oid
resolve_relation(RangeVar *rv)
{
	Oid			nsp;

	if (rv->schemaname == nullptr)
		return RelnameGetRelid(rv->relname);
	if (strcmp(rv->schemaname, "pg_temp") == 0)
		nsp = LookupExplicitNamespace(rv->schemaname, true);
	else
		nsp = get_namespace_oid(rv->schemaname, true);
	return OidIsValid(nsp) ? get_relname_relid(rv->relname, nsp) : InvalidOid;
}

/* Resolves a relation named in a statement and records it. */
static void
add_relation(Verdict *v, RangeVar *rv, bool missing_ok)
{
	Oid			relid;

	if (rv == nullptr)
		return;
	relid = resolve_relation(rv);
	if (!OidIsValid(relid))
	{
		v->objects = lappend(v->objects, pstrdup(quote_qualified_identifier(rv->schemaname, rv->relname)));
		/* An absent object under IF EXISTS destroys nothing; without it the statement fails anyway. */
		if (!missing_ok)
			v->all_temp = false;
		if (rv->schemaname != nullptr && strcmp(rv->schemaname, AG_SCHEMA) == 0)
			mark_self(v, kReasonSchema);
		return;
	}
	v->objects = lappend(v->objects, qualified_relname(relid));
	v->oids = lappend_oid(v->oids, relid);
	if (!relation_is_own_temp(relid))
		v->all_temp = false;
	if (is_guard_schema(get_rel_namespace(relid)))
		mark_self(v, kReasonSchema);
}

static bool
is_relation_kind(ObjectType t)
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

static void
classify_drop(DropStmt *s, Verdict *v)
{
	ListCell   *lc;
	bool		relations = is_relation_kind(s->removeType);

	mark_destructive(v, kReasonDrop);
	if (!relations)
		v->all_temp = false;
	foreach(lc, s->objects)
	{
		Node	   *obj = static_cast<Node *>(lfirst(lc));

		if (relations)
		{
			add_relation(v, makeRangeVarFromNameList(castNode(List, obj)), s->missing_ok);
			continue;
		}
		if (IsA(obj, String))
		{
			const char *name = strVal(obj);

			v->objects = lappend(v->objects, pstrdup(quote_identifier(name)));
			if (s->removeType == OBJECT_SCHEMA && strcmp(name, AG_SCHEMA) == 0)
			{
				mark_self(v, kReasonSchema);
				v->oids = lappend_oid(v->oids, guard_schema_oid());
			}
			else if (s->removeType == OBJECT_SCHEMA)
				v->oids = lappend_oid(v->oids, get_namespace_oid(name, true));
			if (s->removeType == OBJECT_EXTENSION && strcmp(name, AG_EXTENSION) == 0)
				mark_self(v, kReasonExtension);
		}
		else if (IsA(obj, TypeName))
		{
			TypeName   *tn = castNode(TypeName, obj);

			v->objects = lappend(v->objects, TypeNameToString(tn));
			if (names_guard_schema(tn->names))
				mark_self(v, kReasonSchema);
		}
		else if (IsA(obj, ObjectWithArgs))
		{
			ObjectWithArgs *owa = castNode(ObjectWithArgs, obj);

			v->objects = lappend(v->objects, psprintf("%s()", names_to_string(owa->objname)));
			if (names_guard_schema(owa->objname))
				mark_self(v, kReasonSchema);
		}
		else if (IsA(obj, List))
		{
			List	   *names = castNode(List, obj);

			v->objects = lappend(v->objects, names_to_string(names));
			if (names_guard_schema(names))
				mark_self(v, kReasonSchema);
		}
		else
			v->objects = lappend(v->objects, pstrdup("(object)"));
	}
}

static void
classify_alter_table(AlterTableStmt *s, Verdict *v)
{
	ListCell   *lc;
	const char *reason = nullptr;
	Verdict		probe = {StatementClass::Harmless, nullptr, NIL, NIL, true};

	add_relation(&probe, s->relation, s->missing_ok);
	if (probe.cls == StatementClass::SelfProtection)
	{
		*v = probe;
		return;
	}
	foreach(lc, s->cmds)
	{
		AlterTableCmd *cmd = castNode(AlterTableCmd, lfirst(lc));

		switch (cmd->subtype)
		{
			case AT_DropColumn:
				reason = "DROP COLUMN destroys data and needs an approval";
				break;
			case AT_AlterColumnType:
				reason = "ALTER COLUMN ... TYPE rewrites data and needs an approval";
				break;
			case AT_DropConstraint:
				reason = "DROP CONSTRAINT needs an approval";
				break;
			default:
				break;
		}
	}
	if (reason == nullptr)
		return;
	*v = probe;
	mark_destructive(v, reason);
}

static void
add_role_name(Verdict *v, const char *name)
{
	if (name == nullptr)
		name = "ALL";
	v->objects = lappend(v->objects, pstrdup(quote_identifier(name)));
	if (is_guard_role_name(name))
		mark_self(v, kReasonGuardRoles);
}

static const char *
rolespec_name(RoleSpec *r)
{
	if (r == nullptr)
		return nullptr;
	switch (r->roletype)
	{
		case ROLESPEC_CSTRING:
			return r->rolename;
		case ROLESPEC_CURRENT_USER:
		case ROLESPEC_SESSION_USER:
		case ROLESPEC_CURRENT_ROLE:
			return GetUserNameFromId(r->roletype == ROLESPEC_SESSION_USER ? GetSessionUserId() : GetUserId(),
									 true);
		case ROLESPEC_PUBLIC:
			return "public";
	}
	return nullptr;
}

static bool
setstmt_touches_guard(VariableSetStmt *set)
{
	if (set == nullptr)
		return false;
	if (set->kind == VAR_RESET_ALL)
		return true;			/* in ALTER ROLE/DATABASE it would drop a DBA's agentguard values */
	return is_protected_setting(set->name);
}

static void
classify_grant(GrantStmt *s, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, s->objects)
	{
		Node	   *obj = static_cast<Node *>(lfirst(lc));

		if (s->targtype == ACL_TARGET_ALL_IN_SCHEMA || s->objtype == OBJECT_SCHEMA)
		{
			if (IsA(obj, String) && strcmp(strVal(obj), AG_SCHEMA) == 0)
				mark_self(v, kReasonSchema);
		}
		else if (IsA(obj, RangeVar))
		{
			Oid			relid = resolve_relation(castNode(RangeVar, obj));

			if (OidIsValid(relid) && is_guard_schema(get_rel_namespace(relid)))
				mark_self(v, kReasonSchema);
		}
		else if (IsA(obj, ObjectWithArgs) && names_guard_schema(castNode(ObjectWithArgs, obj)->objname))
			mark_self(v, kReasonSchema);
	}
}

static void
check_relation_in_guard_schema(RangeVar *rv, Verdict *v)
{
	Oid			relid;

	if (rv == nullptr)
		return;
	relid = resolve_relation(rv);
	if ((OidIsValid(relid) && is_guard_schema(get_rel_namespace(relid))) ||
		(rv->schemaname != nullptr && strcmp(rv->schemaname, AG_SCHEMA) == 0))
	{
		v->objects = lappend(v->objects, pstrdup(quote_qualified_identifier(rv->schemaname, rv->relname)));
		mark_self(v, kReasonSchema);
	}
}

static void
classify(Node *parsetree, Verdict *v)
{
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			classify_drop(castNode(DropStmt, parsetree), v);
			break;
		case T_TruncateStmt:
			mark_destructive(v, kReasonTruncate);
			foreach(lc, castNode(TruncateStmt, parsetree)->relations)
				add_relation(v, castNode(RangeVar, lfirst(lc)), false);
			break;
		case T_AlterTableStmt:
			classify_alter_table(castNode(AlterTableStmt, parsetree), v);
			break;
		case T_DropOwnedStmt:
			mark_destructive(v, "DROP OWNED drops every object of a role and needs an approval");
			v->all_temp = false;
			foreach(lc, castNode(DropOwnedStmt, parsetree)->roles)
				add_role_name(v, rolespec_name(castNode(RoleSpec, lfirst(lc))));
			break;
		case T_DropdbStmt:
			mark_destructive(v, "agents may not drop databases without an approval");
			v->all_temp = false;
			v->objects = list_make1(pstrdup(quote_identifier(castNode(DropdbStmt, parsetree)->dbname)));
			break;
		case T_DropTableSpaceStmt:
			mark_destructive(v, kReasonDrop);
			v->all_temp = false;
			v->objects = list_make1(pstrdup(castNode(DropTableSpaceStmt, parsetree)->tablespacename));
			break;
		case T_DropSubscriptionStmt:
			mark_destructive(v, kReasonDrop);
			v->all_temp = false;
			v->objects = list_make1(pstrdup(castNode(DropSubscriptionStmt, parsetree)->subname));
			break;
		case T_DropUserMappingStmt:
			mark_destructive(v, kReasonDrop);
			v->all_temp = false;
			break;
		case T_DropRoleStmt:
			mark_destructive(v, kReasonRole);
			v->all_temp = false;
			foreach(lc, castNode(DropRoleStmt, parsetree)->roles)
				add_role_name(v, rolespec_name(castNode(RoleSpec, lfirst(lc))));
			break;
		case T_CreateRoleStmt:
			mark_destructive(v, kReasonRole);
			v->all_temp = false;
			add_role_name(v, castNode(CreateRoleStmt, parsetree)->role);
			break;
		case T_AlterRoleStmt:
			mark_destructive(v, kReasonRole);
			v->all_temp = false;
			add_role_name(v, rolespec_name(castNode(AlterRoleStmt, parsetree)->role));
			break;
		case T_AlterRoleSetStmt:
			{
				AlterRoleSetStmt *s = castNode(AlterRoleSetStmt, parsetree);

				mark_destructive(v, kReasonRole);
				v->all_temp = false;
				add_role_name(v, rolespec_name(s->role));
				if (setstmt_touches_guard(s->setstmt))
					mark_self(v, kReasonSettings);
				break;
			}
		case T_AlterDatabaseSetStmt:
			if (setstmt_touches_guard(castNode(AlterDatabaseSetStmt, parsetree)->setstmt))
				mark_self(v, kReasonSettings);
			break;
		case T_GrantRoleStmt:
			{
				GrantRoleStmt *s = castNode(GrantRoleStmt, parsetree);

				mark_destructive(v, kReasonRole);
				v->all_temp = false;
				foreach(lc, s->granted_roles)
					add_role_name(v, castNode(AccessPriv, lfirst(lc))->priv_name);
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *s = castNode(RenameStmt, parsetree);

				if (s->renameType == OBJECT_ROLE)
				{
					mark_destructive(v, kReasonRole);
					v->all_temp = false;
					add_role_name(v, s->subname);
					if (is_guard_role_name(s->newname))
						mark_self(v, kReasonGuardRoles);
				}
				else if (s->renameType == OBJECT_SCHEMA &&
						 (strcmp(s->subname, AG_SCHEMA) == 0 || strcmp(s->newname, AG_SCHEMA) == 0))
					mark_self(v, kReasonSchema);
				break;
			}
		case T_VariableSetStmt:
			{
				VariableSetStmt *s = castNode(VariableSetStmt, parsetree);

				/* RESET ALL is let through: the protected settings are GUC_NO_RESET_ALL, and poolers
				 * send it (DISCARD ALL) on every connection they hand out. */
				if (s->kind != VAR_RESET_ALL && is_protected_setting(s->name))
				{
					v->objects = list_make1(pstrdup(s->name));
					mark_self(v, kReasonSettings);
				}
				break;
			}
		case T_AlterSystemStmt:
			mark_self(v, "agents may not run ALTER SYSTEM");
			break;
		case T_LoadStmt:
			mark_self(v, "agents may not load libraries");
			v->objects = list_make1(pstrdup(castNode(LoadStmt, parsetree)->filename));
			break;
		case T_CopyStmt:
			{
				CopyStmt   *s = castNode(CopyStmt, parsetree);

				if (s->is_program)
					mark_self(v, "agents may not run programs through COPY");
				/* A superuser agent could otherwise write postgresql.auto.conf and reload. */
				else if (s->filename != nullptr)
					mark_self(v, "agents may not read or write server files through COPY");
				break;
			}
		case T_CreateExtensionStmt:
			if (strcmp(castNode(CreateExtensionStmt, parsetree)->extname, AG_EXTENSION) == 0)
				mark_self(v, kReasonExtension);
			break;
		case T_AlterExtensionStmt:
			if (strcmp(castNode(AlterExtensionStmt, parsetree)->extname, AG_EXTENSION) == 0)
				mark_self(v, kReasonExtension);
			break;
		case T_AlterExtensionContentsStmt:
			if (strcmp(castNode(AlterExtensionContentsStmt, parsetree)->extname, AG_EXTENSION) == 0)
				mark_self(v, kReasonExtension);
			break;
		case T_GrantStmt:
			classify_grant(castNode(GrantStmt, parsetree), v);
			break;
		case T_AlterDefaultPrivilegesStmt:
			foreach(lc, castNode(AlterDefaultPrivilegesStmt, parsetree)->options)
			{
				DefElem    *d = castNode(DefElem, lfirst(lc));
				ListCell   *lc2;

				if (strcmp(d->defname, "schemas") != 0 || d->arg == nullptr)
					continue;
				foreach(lc2, castNode(List, d->arg))
					if (strcmp(strVal(lfirst(lc2)), AG_SCHEMA) == 0)
						mark_self(v, kReasonSchema);
			}
			break;
		case T_CreateTrigStmt:
			check_relation_in_guard_schema(castNode(CreateTrigStmt, parsetree)->relation, v);
			break;
		case T_RuleStmt:
			check_relation_in_guard_schema(castNode(RuleStmt, parsetree)->relation, v);
			break;
		case T_CreatePolicyStmt:
			check_relation_in_guard_schema(castNode(CreatePolicyStmt, parsetree)->table, v);
			break;
		case T_AlterPolicyStmt:
			check_relation_in_guard_schema(castNode(AlterPolicyStmt, parsetree)->table, v);
			break;
		case T_IndexStmt:
			check_relation_in_guard_schema(castNode(IndexStmt, parsetree)->relation, v);
			break;
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *s = castNode(AlterObjectSchemaStmt, parsetree);

				if (strcmp(s->newschema, AG_SCHEMA) == 0)
					mark_self(v, kReasonSchema);
				if (s->relation != nullptr)
					check_relation_in_guard_schema(s->relation, v);
				else if (s->object != nullptr && IsA(s->object, List) && names_guard_schema(castNode(List, s->object)))
					mark_self(v, kReasonSchema);
				else if (s->object != nullptr && IsA(s->object, ObjectWithArgs) &&
						 names_guard_schema(castNode(ObjectWithArgs, s->object)->objname))
					mark_self(v, kReasonSchema);
				break;
			}
		case T_CreateSchemaStmt:
			{
				const char *name = castNode(CreateSchemaStmt, parsetree)->schemaname;

				if (name != nullptr && strcmp(name, AG_SCHEMA) == 0)
					mark_self(v, kReasonSchema);
				break;
			}
		default:
			break;
	}
}

bool
utility_statement_reach(Node *parsetree, List **objects, List **oids, int *unresolved)
{
	Verdict		v = {StatementClass::Harmless, nullptr, NIL, NIL, true};
	bool		refused;

	classify(parsetree, &v);
	*objects = NIL;
	*oids = NIL;
	*unresolved = 0;
	if (v.cls != StatementClass::DestructiveDdl)
		return false;
	statement_reach(parsetree, &v.objects, &v.oids, &refused, unresolved);
	*objects = v.objects;
	*oids = v.oids;
	return true;
}

static Action
decide_action(const Verdict *v, int64 token_id)
{
	Facts		f;
	Action		a = Action::Block;

	f.cls = v->cls;
	f.mode = static_cast<Mode>(guc_mode);
	f.only_temp_objects = v->all_temp && v->objects != NIL;
	f.allow_temp_drops = guc_allow_temp_drops;
	f.token_valid = token_id > 0;
	ag_cpp_call("deciding on a statement", [&]() { a = decide(f); });
	return a;
}

/* Judges one statement of a guarded session; raises the agent's ERROR when it is refused. */
static void
judge_utility(PlannedStmt *pstmt, const char *queryString, UtilityFrame *frame)
{
	Node	   *parsetree = pstmt->utilityStmt;
	Verdict		v = {StatementClass::Harmless, nullptr, NIL, NIL, true};
	Intercept	ic;
	int64		token_id = 0;
	Action		action;

	/* An open circuit breaker refuses every write and DDL first (ZG002), whatever the statement is. */
	if (breaker_utility_writes(parsetree))
		breaker_refuse_if_open(GetCommandTagName(CreateCommandTag(parsetree)));
	classify(parsetree, &v);
	if (v.cls == StatementClass::Harmless)
		return;
	if (v.cls == StatementClass::DestructiveDdl && guc_mode != AG_MODE_OFF)
	{
		bool		refused;
		int			unresolved;

		statement_reach(parsetree, &v.objects, &v.oids, &refused, &unresolved);
		/* PostgreSQL's own permission error comes first; the object-access hook still stands behind it. */
		if (refused)
			return;
	}

	frame->command = GetCommandTagName(CreateCommandTag(parsetree));
	frame->statement = statement_text(queryString, pstmt->stmt_location, pstmt->stmt_len);
	if (v.cls == StatementClass::DestructiveDdl && guc_token != nullptr && guc_token[0] != '\0' &&
		guc_mode != AG_MODE_OFF)
	{
		Oid		   *covered = nullptr;
		int			ncovered = 0;

		token_id = token_match_covering(frame->statement, v.oids, &covered, &ncovered);
		frame->scope = covered;
		frame->nscope = ncovered;
	}
	action = decide_action(&v, token_id);

	switch (action)
	{
		case Action::Allow:
			frame->drops = DROPS_ALLOWED;
			return;
		case Action::AllowTemp:
			frame->drops = DROPS_TEMP_ONLY;
			return;
		default:
			break;
	}

	memset(&ic, 0, sizeof(ic));
	ic.kind = v.cls == StatementClass::SelfProtection ? INTERCEPT_SELF_PROTECTION : INTERCEPT_DESTRUCTIVE_DDL;
	ic.command = frame->command;
	ic.statement = frame->statement;
	ic.objects = v.objects;
	ic.object_oids = v.oids;
	ic.reason = v.reason;
	ic.rows_affected = -1;
	ic.token_id = token_id;
	ic.decision = action == Action::Approved ? DECISION_APPROVED :
		action == Action::Warn ? DECISION_WARNED : DECISION_BLOCKED;
	report_intercept(&ic);		/* does not return for a block */
	frame->drops = DROPS_ALLOWED;
}

static void
agentguard_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						  ProcessUtilityContext context, ParamListInfo params,
						  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	UtilityFrame frame;

	frame.prev = innermost_frame;
	frame.drops = DROPS_NONE;
	frame.statement = nullptr;
	frame.command = nullptr;
	frame.query = queryString;
	frame.location = pstmt->stmt_location;
	frame.length = pstmt->stmt_len;
	frame.parsetree = pstmt->utilityStmt;
	frame.scope = nullptr;
	frame.nscope = 0;

	/* The one branch every human statement pays: a cached membership answer. */
	if (internal_depth == 0 && !IsParallelWorker() && session_is_guarded())
		judge_utility(pstmt, queryString, &frame);
	else
		frame.drops = DROPS_ALLOWED;

	innermost_frame = &frame;
	PG_TRY();
	{
		if (prev_ProcessUtility != nullptr)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		innermost_frame = frame.prev;
	}
	PG_END_TRY();
}

void
install_utility_hook(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = agentguard_ProcessUtility;
}

}  // namespace agentguard
