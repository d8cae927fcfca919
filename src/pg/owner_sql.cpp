/*
 * owner_sql.cpp — pg_agentguard's own SQL, run as the extension owner. See owner_sql.hpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"

namespace agentguard {

Oid
extension_owner(void)
{
	Oid			extoid = get_extension_oid(AG_EXTENSION, true);
	Oid			owner = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(extoid))
		return InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, nullptr, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

void
owner_sql_begin(OwnerSql *os)
{
	Oid			owner = extension_owner();

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"%s\" is not installed in this database", AG_EXTENSION)));

	GetUserIdAndSecContext(&os->saved_userid, &os->saved_sec_context);
	internal_depth++;

	/*
	 * From here on an ERROR must restore the user id and internal_depth (owner_sql_abort). The
	 * security-restricted flag keeps anything that might run under the owner's identity from
	 * changing session state (no SET ROLE, no temporary objects, no prepared statements).
	 */
	SetUserIdAndSecContext(owner, os->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	os->guc_nestlevel = -1;
	PG_TRY();
	{
		os->guc_nestlevel = NewGUCNestLevel();
		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
	}
	PG_CATCH();
	{
		owner_sql_abort(os);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

void
owner_sql_end(OwnerSql *os)
{
	SPI_finish();
	AtEOXact_GUC(true, os->guc_nestlevel);
	SetUserIdAndSecContext(os->saved_userid, os->saved_sec_context);
	internal_depth--;
}

void
owner_sql_abort(OwnerSql *os)
{
	SetUserIdAndSecContext(os->saved_userid, os->saved_sec_context);
	internal_depth--;
}

void
owner_sql_run(void (*body) (void *), void (*on_error) (void *), void *arg)
{
	OwnerSql	os;

	owner_sql_begin(&os);
	PG_TRY();
	{
		body(arg);
	}
	PG_CATCH();
	{
		if (on_error != nullptr)
			on_error(arg);
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
}

bool
oid_lists_equal_as_sets(List *a, const Oid *b, int nb)
{
	ListCell   *lc;

	foreach(lc, a)
	{
		Oid			o = lfirst_oid(lc);
		bool		found = false;

		for (int i = 0; i < nb && !found; i++)
			found = b[i] == o;
		if (!found)
			return false;
	}
	for (int i = 0; i < nb; i++)
	{
		if (!list_member_oid(a, b[i]))
			return false;
	}
	return true;
}

}  // namespace agentguard
