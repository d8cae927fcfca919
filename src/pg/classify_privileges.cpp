/*
 * classify_privileges.cpp — utility statements on roles, privileges, owners and settings
 * (SPEC §3). Handlers of rows of the table in utility_classify.cpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"
#include "pg/utility_classify.hpp"

namespace agentguard {

/*
 * Settings that silence the server log (the guard's backstop), or turn off triggers, foreign-key checks
 * and data checks for a session. All are superuser settings: this matters for superuser agents.
 */
static bool
is_backstop_setting(const char *name)
{
	static const char *const kSettings[] = {
		"session_replication_role", "zero_damaged_pages", "ignore_checksum_failure",
		"allow_system_table_mods",
	};

	if (name == nullptr)
		return false;
	if (pg_strncasecmp(name, "log_", 4) == 0)
		return true;
	for (const char *s : kSettings)
		if (pg_strcasecmp(name, s) == 0)
			return true;
	return false;
}

static const char *const kReasonBackstop =
	"agents may not change logging settings or session_replication_role without an approval";

/* SET (not RESET, which only goes back to what the DBA configured) of a backstop setting. */
static void
check_backstop_setting(VariableSetStmt *set, Verdict *v)
{
	if (set == nullptr || set->kind != VAR_SET_VALUE || !is_backstop_setting(set->name))
		return;
	add_name(v, set->name);
	mark_destructive(v, kReasonBackstop);
	v->all_temp = false;
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



void
drop_owned_objects(Node *n, Verdict *v)
{
	add_role_specs(v, castNode(DropOwnedStmt, n)->roles);
}

void
drop_role_objects(Node *n, Verdict *v)
{
	add_role_specs(v, castNode(DropRoleStmt, n)->roles);
}

void
create_role_objects(Node *n, Verdict *v)
{
	add_role_name(v, castNode(CreateRoleStmt, n)->role);
}

void
alter_role_objects(Node *n, Verdict *v)
{
	add_role_name(v, rolespec_name(castNode(AlterRoleStmt, n)->role));
}

void
alter_role_set_objects(Node *n, Verdict *v)
{
	AlterRoleSetStmt *s = castNode(AlterRoleSetStmt, n);

	add_role_name(v, rolespec_name(s->role));
	if (setstmt_touches_guard(s->setstmt))
		mark_self(v, kReasonSettings);
}

void
alter_database_set(Node *n, Verdict *v)
{
	AlterDatabaseSetStmt *s = castNode(AlterDatabaseSetStmt, n);

	check_backstop_setting(s->setstmt, v);
	if (setstmt_touches_guard(s->setstmt))
		mark_self(v, kReasonSettings);
}

void
grant_role_objects(Node *n, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, castNode(GrantRoleStmt, n)->granted_roles)
		add_role_name(v, castNode(AccessPriv, lfirst(lc))->priv_name);
}

void
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

void
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
	else
		check_backstop_setting(s, v);
}

/* A GRANT or REVOKE that reaches a role other than the current one (PUBLIC included). */
static bool
grantees_are_others(List *grantees)
{
	ListCell   *lc;

	foreach(lc, grantees)
	{
		RoleSpec   *r = castNode(RoleSpec, lfirst(lc));

		switch (r->roletype)
		{
			case ROLESPEC_CURRENT_USER:
			case ROLESPEC_CURRENT_ROLE:
				break;
			case ROLESPEC_SESSION_USER:
				if (GetSessionUserId() != GetUserId())
					return true;
				break;
			case ROLESPEC_CSTRING:
				if (get_role_oid(r->rolename, true) != GetUserId())
					return true;
				break;
			default:
				return true;
		}
	}
	return false;
}

static void
grant_object_names(GrantStmt *s, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, s->objects)
	{
		Node	   *obj = static_cast<Node *>(lfirst(lc));

		if (IsA(obj, RangeVar))
			add_name(v, quote_qualified_identifier(castNode(RangeVar, obj)->schemaname,
												   castNode(RangeVar, obj)->relname));
		else if (IsA(obj, String))
			add_name(v, quote_identifier(strVal(obj)));
		else if (IsA(obj, ObjectWithArgs))
			v->objects = lappend(v->objects,
								 psprintf("%s()", names_to_string(castNode(ObjectWithArgs, obj)->objname)));
		else if (IsA(obj, List))
			v->objects = lappend(v->objects, names_to_string(castNode(List, obj)));
	}
}

void
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
	if (grantees_are_others(s->grantees))
	{
		mark_destructive(v, s->is_grant ? "granting privileges to other roles needs an approval"
						 : "revoking privileges from other roles needs an approval");
		v->all_temp = false;
		grant_object_names(s, v);
	}
}

void
classify_default_privileges(Node *n, Verdict *v)
{
	ListCell   *lc;

	/* Every later object of the role would be handed out, or held back from the application. */
	mark_destructive(v, "ALTER DEFAULT PRIVILEGES needs an approval");
	v->all_temp = false;

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

void
alter_owner_object(Node *n, Verdict *v)
{
	AlterOwnerStmt *s = castNode(AlterOwnerStmt, n);

	if (s->relation != nullptr)
		check_relation_in_guard_schema(s->relation, v);
	if (s->object == nullptr)
		return;
	if (IsA(s->object, String))
		add_name(v, quote_identifier(strVal(s->object)));
	else if (IsA(s->object, List))
	{
		v->objects = lappend(v->objects, names_to_string(castNode(List, s->object)));
		if (names_guard_schema(castNode(List, s->object)))
			mark_self(v, kReasonSchema);
	}
	else if (IsA(s->object, ObjectWithArgs))
	{
		ObjectWithArgs *owa = castNode(ObjectWithArgs, s->object);

		v->objects = lappend(v->objects, psprintf("%s()", names_to_string(owa->objname)));
		if (names_guard_schema(owa->objname))
			mark_self(v, kReasonSchema);
	}
	if (s->objectType == OBJECT_SCHEMA && IsA(s->object, String) && strcmp(strVal(s->object), AG_SCHEMA) == 0)
		mark_self(v, kReasonSchema);
	if (s->objectType == OBJECT_EXTENSION && IsA(s->object, String))
		check_extension_name(strVal(s->object), v);
}

}  // namespace agentguard
