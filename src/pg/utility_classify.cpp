/*
 * utility_classify.cpp — what a utility statement of a guarded session is: harmless, destructive DDL
 * (approvable by a token) or self-protection (never approvable). SPEC §3.
 *
 * Table-driven: kRules has one row per statement node, kAlterTableRules one row per ALTER TABLE
 * subcommand. A row names the class and the reason the agent reads; its handler, if any, collects the
 * objects named (for the message, the record and the token binding) and may raise the class to
 * self-protection. "Where is TRUNCATE decided" is the T_TruncateStmt row.
 *
 * Name resolution here takes no locks (NoLock lookups): it only classifies. The object-access hook
 * (object_access.cpp) checks what PostgreSQL really drops, while it drops it.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"
#include "pg/utility_hook.hpp"

namespace agentguard {

static const char *const kReasonDrop = "agents may not drop objects without an approval";
static const char *const kReasonTruncate = "agents may not truncate tables without an approval";
static const char *const kReasonRole = "role and membership changes need an approval";
static const char *const kReasonSchema = "agents may not create, alter or drop anything in schema agentguard";
static const char *const kReasonExtension = "agents may not create, alter or drop the pg_agentguard extension";
static const char *const kReasonSettings = "agents may not change pg_agentguard settings";
static const char *const kReasonGuardRoles = "agents may not change the agentguard roles or their members";

/* ---------- marking and naming ---------- */

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

static void
add_name(Verdict *v, const char *name)
{
	v->objects = lappend(v->objects, pstrdup(name));
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

/* A qualified name list whose schema part names our schema. */
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
		add_name(v, quote_qualified_identifier(rv->schemaname, rv->relname));
		/* An absent object under IF EXISTS destroys nothing; without it the statement fails anyway. */
		if (!missing_ok)
			v->all_temp = false;
		if (rv->schemaname != nullptr && strcmp(rv->schemaname, AG_SCHEMA) == 0)
			mark_self(v, kReasonSchema);
		return;
	}
	v->objects = lappend(v->objects, relation_display_name(relid));
	v->oids = lappend_oid(v->oids, relid);
	if (!relation_is_own_temp(relid))
		v->all_temp = false;
	if (is_guard_schema(get_rel_namespace(relid)))
		mark_self(v, kReasonSchema);
}

/* Statements that create or change something on a relation: only its schema matters. */
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
		add_name(v, quote_qualified_identifier(rv->schemaname, rv->relname));
		mark_self(v, kReasonSchema);
	}
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

static void
add_role_name(Verdict *v, const char *name)
{
	if (name == nullptr)
		name = "ALL";
	add_name(v, quote_identifier(name));
	if (is_guard_role_name(name))
		mark_self(v, kReasonGuardRoles);
}

static void
add_role_specs(Verdict *v, List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
		add_role_name(v, rolespec_name(castNode(RoleSpec, lfirst(lc))));
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

/* ---------- DROP ---------- */

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
drop_objects(Node *n, Verdict *v)
{
	DropStmt   *s = castNode(DropStmt, n);
	ListCell   *lc;
	bool		relations = is_relation_kind(s->removeType);

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

			add_name(v, quote_identifier(name));
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
			add_name(v, "(object)");
	}
}

static void
truncate_objects(Node *n, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, castNode(TruncateStmt, n)->relations)
		add_relation(v, castNode(RangeVar, lfirst(lc)), false);
}

/* ---------- ALTER TABLE ---------- */

/* The subcommands that destroy or rewrite data. */
struct AlterTableRule
{
	AlterTableType subtype;
	const char *reason;
};

static const AlterTableRule kAlterTableRules[] = {
	{AT_DropColumn, "DROP COLUMN destroys data and needs an approval"},
	{AT_AlterColumnType, "ALTER COLUMN ... TYPE rewrites data and needs an approval"},
	{AT_DropConstraint, "DROP CONSTRAINT needs an approval"},
	/* A NOT NULL is a constraint like the others (from PostgreSQL 18 on a pg_constraint row that DROP
	 * CONSTRAINT can name too): dropping it destroys no data, but it loosens a rule other code relies on. */
	{AT_DropNotNull, "DROP NOT NULL needs an approval"},
};

static const char *
alter_table_reason(AlterTableCmd *cmd)
{
	for (const AlterTableRule &r : kAlterTableRules)
		if (r.subtype == cmd->subtype)
			return r.reason;
	return nullptr;
}

static void
classify_alter_table(Node *n, Verdict *v)
{
	AlterTableStmt *s = castNode(AlterTableStmt, n);
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
		const char *r = alter_table_reason(castNode(AlterTableCmd, lfirst(lc)));

		if (r != nullptr)
			reason = r;
	}
	if (reason == nullptr)
		return;
	*v = probe;
	mark_destructive(v, reason);
}

static void
dropdb_object(Node *n, Verdict *v)
{
	add_name(v, quote_identifier(castNode(DropdbStmt, n)->dbname));
}

static void
drop_tablespace_object(Node *n, Verdict *v)
{
	add_name(v, castNode(DropTableSpaceStmt, n)->tablespacename);
}

static void
drop_subscription_object(Node *n, Verdict *v)
{
	add_name(v, castNode(DropSubscriptionStmt, n)->subname);
}

/* ---------- roles, settings, privileges ---------- */

static void
drop_owned_objects(Node *n, Verdict *v)
{
	add_role_specs(v, castNode(DropOwnedStmt, n)->roles);
}

static void
drop_role_objects(Node *n, Verdict *v)
{
	add_role_specs(v, castNode(DropRoleStmt, n)->roles);
}

static void
create_role_objects(Node *n, Verdict *v)
{
	add_role_name(v, castNode(CreateRoleStmt, n)->role);
}

static void
alter_role_objects(Node *n, Verdict *v)
{
	add_role_name(v, rolespec_name(castNode(AlterRoleStmt, n)->role));
}

static void
alter_role_set_objects(Node *n, Verdict *v)
{
	AlterRoleSetStmt *s = castNode(AlterRoleSetStmt, n);

	add_role_name(v, rolespec_name(s->role));
	if (setstmt_touches_guard(s->setstmt))
		mark_self(v, kReasonSettings);
}

static void
alter_database_set(Node *n, Verdict *v)
{
	if (setstmt_touches_guard(castNode(AlterDatabaseSetStmt, n)->setstmt))
		mark_self(v, kReasonSettings);
}

static void
grant_role_objects(Node *n, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, castNode(GrantRoleStmt, n)->granted_roles)
		add_role_name(v, castNode(AccessPriv, lfirst(lc))->priv_name);
}

static void
classify_rename(Node *n, Verdict *v)
{
	RenameStmt *s = castNode(RenameStmt, n);

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
}

static void
classify_set(Node *n, Verdict *v)
{
	VariableSetStmt *s = castNode(VariableSetStmt, n);

	/* RESET ALL is let through: the protected settings are GUC_NO_RESET_ALL, and poolers send it
	 * (DISCARD ALL) on every connection they hand out. */
	if (s->kind != VAR_RESET_ALL && is_protected_setting(s->name))
	{
		add_name(v, s->name);
		mark_self(v, kReasonSettings);
	}
}

static void
classify_grant(Node *n, Verdict *v)
{
	GrantStmt  *s = castNode(GrantStmt, n);
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
classify_default_privileges(Node *n, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, castNode(AlterDefaultPrivilegesStmt, n)->options)
	{
		DefElem    *d = castNode(DefElem, lfirst(lc));
		ListCell   *lc2;

		if (strcmp(d->defname, "schemas") != 0 || d->arg == nullptr)
			continue;
		foreach(lc2, castNode(List, d->arg))
			if (strcmp(strVal(lfirst(lc2)), AG_SCHEMA) == 0)
				mark_self(v, kReasonSchema);
	}
}

/* ---------- files, programs, libraries, extensions ---------- */

static void
load_object(Node *n, Verdict *v)
{
	add_name(v, castNode(LoadStmt, n)->filename);
}

static void
classify_copy(Node *n, Verdict *v)
{
	CopyStmt   *s = castNode(CopyStmt, n);

	if (s->is_program)
		mark_self(v, "agents may not run programs through COPY");
	/* A superuser agent could otherwise write postgresql.auto.conf and reload. */
	else if (s->filename != nullptr)
		mark_self(v, "agents may not read or write server files through COPY");
}

static void
check_extension_name(const char *extname, Verdict *v)
{
	if (strcmp(extname, AG_EXTENSION) == 0)
		mark_self(v, kReasonExtension);
}

static void
create_extension(Node *n, Verdict *v)
{
	check_extension_name(castNode(CreateExtensionStmt, n)->extname, v);
}

static void
alter_extension(Node *n, Verdict *v)
{
	check_extension_name(castNode(AlterExtensionStmt, n)->extname, v);
}

static void
alter_extension_contents(Node *n, Verdict *v)
{
	check_extension_name(castNode(AlterExtensionContentsStmt, n)->extname, v);
}

/* ---------- objects created on relations, schemas ---------- */

static void
trigger_relation(Node *n, Verdict *v)
{
	check_relation_in_guard_schema(castNode(CreateTrigStmt, n)->relation, v);
}

static void
rule_relation(Node *n, Verdict *v)
{
	check_relation_in_guard_schema(castNode(RuleStmt, n)->relation, v);
}

static void
create_policy_relation(Node *n, Verdict *v)
{
	check_relation_in_guard_schema(castNode(CreatePolicyStmt, n)->table, v);
}

static void
alter_policy_relation(Node *n, Verdict *v)
{
	check_relation_in_guard_schema(castNode(AlterPolicyStmt, n)->table, v);
}

static void
index_relation(Node *n, Verdict *v)
{
	check_relation_in_guard_schema(castNode(IndexStmt, n)->relation, v);
}

static void
alter_object_schema(Node *n, Verdict *v)
{
	AlterObjectSchemaStmt *s = castNode(AlterObjectSchemaStmt, n);

	if (strcmp(s->newschema, AG_SCHEMA) == 0)
		mark_self(v, kReasonSchema);
	if (s->relation != nullptr)
		check_relation_in_guard_schema(s->relation, v);
	else if (s->object != nullptr && IsA(s->object, List) && names_guard_schema(castNode(List, s->object)))
		mark_self(v, kReasonSchema);
	else if (s->object != nullptr && IsA(s->object, ObjectWithArgs) &&
			 names_guard_schema(castNode(ObjectWithArgs, s->object)->objname))
		mark_self(v, kReasonSchema);
}

static void
create_schema(Node *n, Verdict *v)
{
	const char *name = castNode(CreateSchemaStmt, n)->schemaname;

	if (name != nullptr && strcmp(name, AG_SCHEMA) == 0)
		mark_self(v, kReasonSchema);
}

/* ---------- the table ---------- */

enum class Effect : uint8
{
	None,						/* the handler decides */
	Destructive,				/* destructive DDL with the row's reason, even on temporary objects */
	DestructiveShared,			/* destructive DDL on objects that are never the session's own */
	Self,						/* self-protection with the row's reason */
};

struct ClassifyRule
{
	NodeTag		tag;
	Effect		effect;
	const char *reason;
	void		(*handler) (Node *stmt, Verdict *v);
};

static const ClassifyRule kRules[] = {
	/* destructive DDL */
	{T_DropStmt, Effect::Destructive, kReasonDrop, drop_objects},
	{T_TruncateStmt, Effect::Destructive, kReasonTruncate, truncate_objects},
	{T_AlterTableStmt, Effect::None, nullptr, classify_alter_table},
	{T_DropOwnedStmt, Effect::DestructiveShared,
	 "DROP OWNED drops every object of a role and needs an approval", drop_owned_objects},
	{T_DropdbStmt, Effect::DestructiveShared, "agents may not drop databases without an approval",
	 dropdb_object},
	{T_DropTableSpaceStmt, Effect::DestructiveShared, kReasonDrop, drop_tablespace_object},
	{T_DropSubscriptionStmt, Effect::DestructiveShared, kReasonDrop, drop_subscription_object},
	{T_DropUserMappingStmt, Effect::DestructiveShared, kReasonDrop, nullptr},
	/* roles, settings, privileges */
	{T_DropRoleStmt, Effect::DestructiveShared, kReasonRole, drop_role_objects},
	{T_CreateRoleStmt, Effect::DestructiveShared, kReasonRole, create_role_objects},
	{T_AlterRoleStmt, Effect::DestructiveShared, kReasonRole, alter_role_objects},
	{T_AlterRoleSetStmt, Effect::DestructiveShared, kReasonRole, alter_role_set_objects},
	{T_GrantRoleStmt, Effect::DestructiveShared, kReasonRole, grant_role_objects},
	{T_RenameStmt, Effect::None, nullptr, classify_rename},
	{T_AlterDatabaseSetStmt, Effect::None, nullptr, alter_database_set},
	{T_VariableSetStmt, Effect::None, nullptr, classify_set},
	{T_GrantStmt, Effect::None, nullptr, classify_grant},
	{T_AlterDefaultPrivilegesStmt, Effect::None, nullptr, classify_default_privileges},
	/* files, programs, libraries, extensions */
	{T_AlterSystemStmt, Effect::Self, "agents may not run ALTER SYSTEM", nullptr},
	{T_LoadStmt, Effect::Self, "agents may not load libraries", load_object},
	{T_CopyStmt, Effect::None, nullptr, classify_copy},
	{T_CreateExtensionStmt, Effect::None, nullptr, create_extension},
	{T_AlterExtensionStmt, Effect::None, nullptr, alter_extension},
	{T_AlterExtensionContentsStmt, Effect::None, nullptr, alter_extension_contents},
	/* objects created on relations, schemas: only schema agentguard matters */
	{T_CreateTrigStmt, Effect::None, nullptr, trigger_relation},
	{T_RuleStmt, Effect::None, nullptr, rule_relation},
	{T_CreatePolicyStmt, Effect::None, nullptr, create_policy_relation},
	{T_AlterPolicyStmt, Effect::None, nullptr, alter_policy_relation},
	{T_IndexStmt, Effect::None, nullptr, index_relation},
	{T_AlterObjectSchemaStmt, Effect::None, nullptr, alter_object_schema},
	{T_CreateSchemaStmt, Effect::None, nullptr, create_schema},
};

void
classify_utility(const UtilityArgs *args, Verdict *v)
{
	Node	   *n = args->parsetree;
	NodeTag		tag = nodeTag(n);

	for (const ClassifyRule &r : kRules)
	{
		if (r.tag != tag)
			continue;
		switch (r.effect)
		{
			case Effect::None:
				break;
			case Effect::DestructiveShared:
				v->all_temp = false;
				[[fallthrough]];
			case Effect::Destructive:
				mark_destructive(v, r.reason);
				break;
			case Effect::Self:
				mark_self(v, r.reason);
				break;
		}
		if (r.handler != nullptr)
			r.handler(n, v);
		return;
	}
}

}  // namespace agentguard
