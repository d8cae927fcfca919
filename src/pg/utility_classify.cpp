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
#include "pg/utility_classify.hpp"

namespace agentguard {

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

static const char *const kReasonOwner = "ALTER ... OWNER TO gives objects away and needs an approval";
static const char *const kReasonTrigger =
	"disabling triggers or rules removes the application's safety checks and needs an approval";

static const AlterTableRule kAlterTableRules[] = {
	{AT_DropColumn, "DROP COLUMN destroys data and needs an approval"},
	{AT_AlterColumnType, "ALTER COLUMN ... TYPE rewrites data and needs an approval"},
	{AT_DropConstraint, "DROP CONSTRAINT needs an approval"},
	/* A NOT NULL is a constraint like the others (from PostgreSQL 18 on a pg_constraint row that DROP
	 * CONSTRAINT can name too): dropping it destroys no data, but it loosens a rule other code relies on. */
	{AT_DropNotNull, "DROP NOT NULL needs an approval"},
	/* rows lost or hidden without a DROP */
	{AT_SetUnLogged, "SET UNLOGGED loses the table's rows at a crash and on standbys and needs an approval"},
	{AT_DetachPartition, "DETACH PARTITION takes rows out of the table and needs an approval"},
	{AT_DetachPartitionFinalize, "DETACH PARTITION takes rows out of the table and needs an approval"},
	{AT_DropInherit, "NO INHERIT takes rows out of the parent table and needs an approval"},
	/* the application's safety nets: its triggers, rules and foreign-key checks */
	{AT_DisableTrig, kReasonTrigger},
	{AT_DisableTrigAll, kReasonTrigger},
	{AT_DisableTrigUser, kReasonTrigger},
	{AT_EnableReplicaTrig, kReasonTrigger},	/* fires only under session_replication_role = replica */
	{AT_DisableRule, kReasonTrigger},
	{AT_EnableReplicaRule, kReasonTrigger},
	{AT_ChangeOwner, kReasonOwner},
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

static void
refresh_matview(Node *n, Verdict *v)
{
	RefreshMatViewStmt *s = castNode(RefreshMatViewStmt, n);

	if (!s->skipData)
		return;
	mark_destructive(v, "REFRESH MATERIALIZED VIEW ... WITH NO DATA empties it and needs an approval");
	add_relation(v, s->relation, false);
}

/* CREATE OR REPLACE VIEW over an existing view can make it return anything, or nothing. */
static void
replace_view(Node *n, Verdict *v)
{
	ViewStmt   *s = castNode(ViewStmt, n);
	Oid			relid;

	if (!s->replace)
		return;
	relid = resolve_relation(s->view);
	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_VIEW)
		return;
	mark_destructive(v, "CREATE OR REPLACE VIEW over an existing view needs an approval");
	add_relation(v, s->view, false);
}

/* The current role owns roleid's objects: it is that role or a member of it (superuser or not). */
static bool
owned_by_current_role(Oid owner)
{
	return owner == GetUserId() || is_member_of_role_nosuper(GetUserId(), owner);
}

static void
alter_sequence(Node *n, Verdict *v)
{
	AlterSeqStmt *s = castNode(AlterSeqStmt, n);
	ListCell   *lc;
	Oid			relid;
	HeapTuple	tup;
	Oid			owner;

	foreach(lc, s->options)
		if (strcmp(castNode(DefElem, lfirst(lc))->defname, "restart") == 0)
			break;
	if (lc == nullptr)
		return;
	relid = resolve_relation(s->sequence);
	if (!OidIsValid(relid))
		return;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	if (owned_by_current_role(owner))
		return;
	mark_destructive(v, "ALTER SEQUENCE ... RESTART on a sequence of another role needs an approval");
	add_relation(v, s->sequence, s->missing_ok);
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

/* A lock on the guard's tables would stall the audit writers and approve(). */
static void
lock_relations(Node *n, Verdict *v)
{
	ListCell   *lc;

	foreach(lc, castNode(LockStmt, n)->relations)
		check_relation_in_guard_schema(castNode(RangeVar, lfirst(lc)), v);
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

static void
reassign_owned_objects(Node *n, Verdict *v)
{
	add_role_specs(v, castNode(ReassignOwnedStmt, n)->roles);
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
	{T_RefreshMatViewStmt, Effect::None, nullptr, refresh_matview},
	{T_ViewStmt, Effect::None, nullptr, replace_view},
	{T_AlterSeqStmt, Effect::None, nullptr, alter_sequence},
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
	{T_AlterOwnerStmt, Effect::DestructiveShared, kReasonOwner, alter_owner_object},
	{T_ReassignOwnedStmt, Effect::DestructiveShared, kReasonOwner, reassign_owned_objects},
	/* files, programs, libraries, extensions */
	{T_AlterSystemStmt, Effect::Self, "agents may not run ALTER SYSTEM", nullptr},
	{T_LoadStmt, Effect::Self, "agents may not load libraries", load_object},
	{T_CopyStmt, Effect::None, nullptr, classify_copy},
	{T_CreateExtensionStmt, Effect::None, nullptr, create_extension},
	{T_AlterExtensionStmt, Effect::None, nullptr, alter_extension},
	{T_AlterExtensionContentsStmt, Effect::None, nullptr, alter_extension_contents},
	{T_CreateFunctionStmt, Effect::None, nullptr, create_function},
	{T_CreateForeignServerStmt, Effect::DestructiveShared, kReasonForeign, nullptr},
	{T_AlterForeignServerStmt, Effect::DestructiveShared, kReasonForeign, nullptr},
	{T_CreateUserMappingStmt, Effect::DestructiveShared, kReasonForeign, nullptr},
	{T_AlterUserMappingStmt, Effect::DestructiveShared, kReasonForeign, nullptr},
	{T_NotifyStmt, Effect::None, nullptr, notify_channel},
	/* objects created on relations, schemas: only schema agentguard matters */
	{T_CreateTrigStmt, Effect::None, nullptr, trigger_relation},
	{T_RuleStmt, Effect::None, nullptr, rule_relation},
	{T_CreatePolicyStmt, Effect::None, nullptr, create_policy_relation},
	{T_AlterPolicyStmt, Effect::None, nullptr, alter_policy_relation},
	{T_IndexStmt, Effect::None, nullptr, index_relation},
	{T_LockStmt, Effect::None, nullptr, lock_relations},
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
