/*
 * identity.cpp — agent membership cache. See identity.hpp for the contract.
 *
 * The cache lives in backend-local statics. It is dropped by syscache callbacks on pg_authid,
 * pg_auth_members and pg_namespace, which PostgreSQL delivers when this backend accepts invalidation
 * messages (at transaction start and when a lock is taken), so no stale answer outlives the next
 * statement after another session's GRANT/REVOKE commits.
 */
#include "pg/pg_headers.hpp"

#include "pg/identity.hpp"

namespace agentguard {

/*
 * Guarded-session answer, valid for exactly this session, outer (SET ROLE) and current user. The login
 * (authenticated) role is fixed for the life of the backend, so it is not part of the key. The session
 * user is, although SET SESSION AUTHORIZATION also resets the others: a ROLLBACK restores it alone.
 */
namespace identity_cache {
bool		valid = false;
Oid			session = InvalidOid;
Oid			outer = InvalidOid;
Oid			current = InvalidOid;
bool		guarded = false;
}
using namespace identity_cache;

/* OIDs of our own objects. */
static bool oids_valid = false;
static Oid	agent_oid = InvalidOid;
static Oid	approver_oid = InvalidOid;
static Oid	schema_oid = InvalidOid;

namespace identity_cache {
bool		token_oids_valid = false;
Oid			token_store_oid = InvalidOid;
Oid			tokens_view_oid = InvalidOid;
}
using identity_cache::token_store_oid;
using identity_cache::tokens_view_oid;

static void
roles_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	identity_cache::valid = false;
	oids_valid = false;
	identity_cache::token_oids_valid = false;
}

static void
namespaces_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	oids_valid = false;
	identity_cache::token_oids_valid = false;
}

static void
relations_changed(Datum arg, Oid relid)
{
	(void) arg;
	if (!OidIsValid(relid) || relid == token_store_oid || relid == tokens_view_oid)
	{
		oids_valid = false;
		identity_cache::token_oids_valid = false;
	}
}

void
identity_init(void)
{
	CacheRegisterRelcacheCallback(relations_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, namespaces_changed, (Datum) 0);
}

static void
load_oids(void)
{
	if (oids_valid)
		return;
	agent_oid = get_role_oid(AG_AGENT_ROLE, true);
	approver_oid = get_role_oid(AG_APPROVER_ROLE, true);
	schema_oid = get_namespace_oid(AG_SCHEMA, true);
	token_store_oid = OidIsValid(schema_oid) ? get_relname_relid("token_store", schema_oid) : InvalidOid;
	tokens_view_oid = OidIsValid(schema_oid) ? get_relname_relid("tokens", schema_oid) : InvalidOid;
	oids_valid = true;
	identity_cache::token_oids_valid = true;
}

Oid
agent_role_oid(void)
{
	load_oids();
	return agent_oid;
}

Oid
approver_role_oid(void)
{
	load_oids();
	return approver_oid;
}

Oid
guard_schema_oid(void)
{
	load_oids();
	return schema_oid;
}

bool
is_token_relation_slow(Oid relid)
{
	load_oids();
	return OidIsValid(relid) && (relid == token_store_oid || relid == tokens_view_oid);
}

bool
role_is_agent(Oid roleid)
{
	Oid			agent = agent_role_oid();

	if (!OidIsValid(agent) || !OidIsValid(roleid))
		return false;
	if (roleid == agent)
		return true;
	/* _nosuper: a superuser is an agent only by explicit membership. Membership is followed
	 * through every level, whatever INHERIT says. */
	return is_member_of_role_nosuper(roleid, agent);
}

static bool
recompute_guarded(Oid session, Oid outer, Oid current)
{
	Oid			auth = GetAuthenticatedUserId();
	bool		result;

	result = role_is_agent(auth) ||
		(session != auth && role_is_agent(session)) ||
		(outer != session && role_is_agent(outer)) ||
		(current != outer && current != session && role_is_agent(current));
	identity_cache::session = session;
	identity_cache::outer = outer;
	identity_cache::current = current;
	identity_cache::guarded = result;
	identity_cache::valid = true;
	return result;
}

bool
session_is_guarded_slow(Oid session, Oid outer, Oid current)
{
	if (!IsTransactionState())
	{
		/* No catalog access possible (startup, shutdown): only the last known answer for this session
		 * user can be given; no statement runs in such a context. */
		return identity_cache::valid && session == identity_cache::session && identity_cache::guarded;
	}
	return recompute_guarded(session, outer, current);
}

bool
current_user_is_approver(void)
{
	Oid			approver;

	if (session_is_guarded())
		return false;
	if (superuser())
		return true;
	approver = approver_role_oid();
	return OidIsValid(approver) && is_member_of_role_nosuper(GetUserId(), approver);
}

}  // namespace agentguard
