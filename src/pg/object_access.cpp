/*
 * object_access.cpp — the object-access hook: the backstop behind the utility hook.
 *
 * PostgreSQL calls this hook for every object it creates, alters or drops, including the dependents a
 * CASCADE reaches and drops made by code that never passes through ProcessUtility. In a guarded session:
 *  - anything created in, altered in or dropped from schema agentguard, the schema itself, the
 *    pg_agentguard extension and the agentguard roles are refused (self-protection, never approvable);
 *  - a drop of a significant object is refused unless the utility statement running it was judged
 *    to be allowed to drop (approved, warned, mode off), or to drop only temporary objects of the session
 *    and the object is one;
 *  - under a token, a dropped or truncated object must be among the objects the token covers (the
 *    reach recorded when the statement was blocked): a cascade that grew in the meantime is refused;
 *  - a TRUNCATE judged to touch only temporary tables of the session may truncate nothing else: the
 *    relation PostgreSQL really truncates decides, not the name the statement used.
 * Internal drops and creations (the transient heap of VACUUM FULL or CLUSTER, the old index of
 * REINDEX CONCURRENTLY, ALTER TABLE's rebuilt indexes) are PostgreSQL's own bookkeeping and pass.
 */
#include "pg/pg_headers.hpp"

#include "pg/approval_scope.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"

namespace agentguard {

static object_access_hook_type prev_object_access = nullptr;

/* Objects whose loss destroys data or access; dropping others (a column default, a publication's
 * table membership) is left to the utility hook's verdict on the statement. */
static bool
significant_class(Oid classId)
{
	switch (classId)
	{
		case RelationRelationId:
		case NamespaceRelationId:
		case TypeRelationId:
		case ProcedureRelationId:
		case DatabaseRelationId:
		case AuthIdRelationId:
		case TriggerRelationId:
		case RewriteRelationId:
		case PolicyRelationId:
		case ConstraintRelationId:
		case ExtensionRelationId:
		case ForeignServerRelationId:
		case PublicationRelationId:
		case SubscriptionRelationId:
		case TableSpaceRelationId:
			return true;
		default:
			return false;
	}
}

/*
 * The schema of an object, read with SnapshotSelf: a post-create hook runs before the new catalog row
 * is visible to the syscache (no CommandCounterIncrement yet), and a hook must not force one.
 * InvalidOid for classes without a schema.
 */
static Oid
object_namespace(Oid classId, Oid objectId)
{
	AttrNumber	nsp_att;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	if (!is_objectclass_supported(classId))
		return InvalidOid;
	nsp_att = get_object_attnum_namespace(classId);
	if (nsp_att == InvalidAttrNumber)
		return InvalidOid;
	rel = table_open(classId, AccessShareLock);
	ScanKeyInit(&key, get_object_attnum_oid(classId), BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objectId));
	scan = systable_beginscan(rel, get_object_oid_index(classId), true, SnapshotSelf, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, nsp_att, RelationGetDescr(rel), &isnull);

		if (!isnull)
			nsp = DatumGetObjectId(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}

static bool
is_guard_object(Oid classId, Oid objectId)
{
	Oid			schema = guard_schema_oid();

	if (classId == NamespaceRelationId)
		return OidIsValid(schema) && objectId == schema;
	if (classId == AuthIdRelationId)
		return objectId == agent_role_oid() || objectId == approver_role_oid();
	if (classId == ExtensionRelationId)
		return objectId == get_extension_oid(AG_EXTENSION, true);
	return OidIsValid(schema) && object_namespace(classId, objectId) == schema;
}

static bool
is_own_temp_object(Oid classId, Oid objectId)
{
	Oid			nsp;

	if (classId == RelationRelationId)
		return relation_is_own_temp(objectId);
	if (classId == NamespaceRelationId || classId == DatabaseRelationId || classId == AuthIdRelationId ||
		classId == ExtensionRelationId || classId == TableSpaceRelationId ||
		classId == ForeignServerRelationId || classId == PublicationRelationId ||
		classId == SubscriptionRelationId)
		return false;
	nsp = object_namespace(classId, objectId);
	/* Triggers, rules and policies have no schema: they go with the (temporary) relation named. */
	return !OidIsValid(nsp) || isTempOrTempToastNamespace(nsp);
}

static char *
describe(Oid classId, Oid objectId, int subId)
{
	ObjectAddress addr;
	char	   *d;

	addr.classId = classId;
	addr.objectId = objectId;
	addr.objectSubId = subId;
	d = getObjectDescription(&addr, true);
	/* A post-create hook runs before the new row is visible to the syscache. */
	return d != nullptr ? d : pstrdup("a new object in schema agentguard");
}

static void
refuse(InterceptKind kind, Oid classId, Oid objectId, int subId, const char *reason,
	   const char *default_command)
{
	Intercept	ic;
	const char *statement = nullptr;
	const char *command = nullptr;

	(void) current_drop_permission(&statement, &command);
	memset(&ic, 0, sizeof(ic));
	ic.kind = kind;
	ic.decision = DECISION_BLOCKED;
	ic.command = command != nullptr ? command : default_command;
	ic.statement = statement;
	ic.objects = list_make1(describe(classId, objectId, subId));
	ic.object_oids = list_make1_oid(objectId);
	ic.reason = reason;
	ic.rows_affected = -1;
	report_intercept(&ic);
}

static int
oid_cmp(const void *a, const void *b)
{
	Oid			x = *static_cast<const Oid *>(a);
	Oid			y = *static_cast<const Oid *>(b);

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Classes the reach of a statement records (approval_scope.cpp): only they are held to a token's set. */
static bool
scoped_class(Oid classId)
{
	return classId == RelationRelationId || classId == NamespaceRelationId || classId == TypeRelationId ||
		classId == ProcedureRelationId || classId == ConstraintRelationId || classId == TriggerRelationId ||
		classId == RewriteRelationId || classId == PolicyRelationId;
}

/* Under a token: is the object outside the objects it covers? */
static bool
outside_token_scope(Oid classId, Oid objectId)
{
	int			n;
	const Oid  *scope = current_drop_scope(&n);

	if (scope == nullptr || n == 0 || !scoped_class(classId) || !reach_records(classId, objectId))
		return false;
	return bsearch(&objectId, scope, n, sizeof(Oid), oid_cmp) == nullptr;
}

static const char *const kReasonOutsideScope =
	"this statement now reaches an object its approval did not cover, which needs a new approval";

static void
check_truncate(Oid relid)
{
	const char *statement;
	const char *command;
	DropPermission perm;

	if (guc_mode == AG_MODE_OFF)
		return;
	/* PostgreSQL checks the privilege right after this hook: its error comes first. */
	if (cannot_truncate(relid))
		return;
	perm = current_drop_permission(&statement, &command);
	if (perm == DROPS_ALLOWED)
	{
		if (outside_token_scope(RelationRelationId, relid))
			refuse(INTERCEPT_DESTRUCTIVE_DDL, RelationRelationId, relid, 0, kReasonOutsideScope, "TRUNCATE");
		return;
	}
	if (perm == DROPS_TEMP_ONLY && is_own_temp_object(RelationRelationId, relid))
		return;
	if (statement == nullptr)
		return;					/* no utility statement of the session is running */
	refuse(INTERCEPT_DESTRUCTIVE_DDL, RelationRelationId, relid, 0,
		   "agents may not truncate tables without an approval", "TRUNCATE");
}

static void
check_drop(Oid classId, Oid objectId, int subId, const ObjectAccessDrop *drop)
{
	const char *statement;
	const char *command;
	DropPermission perm;

	if (drop != nullptr && (drop->dropflags & PERFORM_DELETION_INTERNAL) != 0)
		return;
	if (is_guard_object(classId, objectId))
		refuse(INTERCEPT_SELF_PROTECTION, classId, objectId, subId,
			   "agents may not drop pg_agentguard's own objects", "DROP");
	if (guc_mode == AG_MODE_OFF || !significant_class(classId))
		return;
	perm = current_drop_permission(&statement, &command);
	if (perm == DROPS_ALLOWED)
	{
		if (outside_token_scope(classId, objectId))
			refuse(INTERCEPT_DESTRUCTIVE_DDL, classId, objectId, subId, kReasonOutsideScope, "DROP");
		return;
	}
	if (perm == DROPS_TEMP_ONLY && is_own_temp_object(classId, objectId))
		return;
	refuse(INTERCEPT_DESTRUCTIVE_DDL, classId, objectId, subId,
		   "this statement would drop an object, which agents may not do without an approval", "DROP");
}

/* Server-side large-object file access: with it a superuser agent could rewrite the configuration. */
static bool
writes_server_files(Oid funcid)
{
	return funcid == F_LO_EXPORT || funcid == F_LO_IMPORT_TEXT || funcid == F_LO_IMPORT_TEXT_OID;
}

static void
agentguard_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access != nullptr)
		prev_object_access(access, classId, objectId, subId, arg);

	/* Namespace searches and function executions reach every hook on every statement once a hook is
	 * installed: leave before any other test. */
	if (access == OAT_FUNCTION_EXECUTE)
	{
		if (writes_server_files(objectId) && internal_depth == 0 && !IsParallelWorker() &&
			session_is_guarded())
			refuse(INTERCEPT_SELF_PROTECTION, ProcedureRelationId, objectId, 0,
				   "agents may not read or write server files", "EXECUTE");
		return;
	}
	if (access != OAT_DROP && access != OAT_POST_CREATE && access != OAT_POST_ALTER && access != OAT_TRUNCATE)
		return;
	if (internal_depth > 0 || IsParallelWorker() || !session_is_guarded())
		return;

	switch (access)
	{
		case OAT_DROP:
			check_drop(classId, objectId, subId, static_cast<ObjectAccessDrop *>(arg));
			break;
		case OAT_TRUNCATE:
			check_truncate(objectId);
			break;
		case OAT_POST_CREATE:
			{
				ObjectAccessPostCreate *pc = static_cast<ObjectAccessPostCreate *>(arg);

				if ((pc == nullptr || !pc->is_internal) && is_guard_object(classId, objectId))
					refuse(INTERCEPT_SELF_PROTECTION, classId, objectId, subId,
						   "agents may not create objects in schema agentguard", "CREATE");
				break;
			}
		case OAT_POST_ALTER:
			{
				ObjectAccessPostAlter *pa = static_cast<ObjectAccessPostAlter *>(arg);

				if ((pa == nullptr || !pa->is_internal) && is_guard_object(classId, objectId))
					refuse(INTERCEPT_SELF_PROTECTION, classId, objectId, subId,
						   "agents may not alter pg_agentguard's own objects", "ALTER");
				break;
			}
		default:
			break;
	}
}

void
install_object_access_hook(void)
{
	prev_object_access = object_access_hook;
	object_access_hook = agentguard_object_access;
}

}  // namespace agentguard
