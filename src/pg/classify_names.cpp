/*
 * classify_names.cpp — marking a verdict and naming the objects of a utility statement. See
 * utility_classify.hpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"
#include "pg/utility_classify.hpp"

namespace agentguard {

void
mark_destructive(Verdict *v, const char *reason)
{
	if (v->cls == StatementClass::SelfProtection)
		return;
	v->cls = StatementClass::DestructiveDdl;
	v->reason = reason;
}

void
mark_self(Verdict *v, const char *reason)
{
	v->cls = StatementClass::SelfProtection;
	v->reason = reason;
}

void
add_name(Verdict *v, const char *name)
{
	v->objects = lappend(v->objects, pstrdup(name));
}

bool
is_guard_role_name(const char *name)
{
	return name != nullptr &&
		(strcmp(name, AG_AGENT_ROLE) == 0 || strcmp(name, AG_APPROVER_ROLE) == 0);
}

bool
is_guard_schema(Oid nsp)
{
	return OidIsValid(nsp) && nsp == guard_schema_oid();
}

/* A qualified name list whose schema part names our schema. */
bool
names_guard_schema(List *names)
{
	if (names == NIL || list_length(names) < 2 || !IsA(linitial(names), String))
		return false;
	return strcmp(strVal(linitial(names)), AG_SCHEMA) == 0;
}

/* A name list as typed; unlike NameListToString it accepts the TypeName members of DROP CAST and
 * DROP TRANSFORM instead of raising an error. */
char *
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
Oid
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
void
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
void
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

const char *
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

void
add_role_name(Verdict *v, const char *name)
{
	if (name == nullptr)
		name = "ALL";
	add_name(v, quote_identifier(name));
	if (is_guard_role_name(name))
		mark_self(v, kReasonGuardRoles);
}

void
add_role_specs(Verdict *v, List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
		add_role_name(v, rolespec_name(castNode(RoleSpec, lfirst(lc))));
}

}  // namespace agentguard
