/*
 * identity.hpp — who is an agent (SPEC §2).
 *
 * A role is an agent when it is a member, directly or indirectly and regardless of INHERIT, of
 * agentguard_agent; superuser status alone does not count. A session is guarded when its authenticated
 * (login) user, session user, outer user (SET ROLE) or current user is an agent, so SET ROLE,
 * SET SESSION AUTHORIZATION, SECURITY DEFINER functions and RESET ROLE never lift the guard, and an
 * agent role reached by SET ROLE stays guarded inside a human's SECURITY DEFINER function.
 *
 * The answer is cached per backend, keyed by the session, outer and current user, and dropped when pg_authid or
 * pg_auth_members change (syscache invalidation), so a GRANT or REVOKE of agentguard_agent takes effect
 * at the role's next statement. For an untagged session a check costs three calls and three compares.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

#define AG_AGENT_ROLE "agentguard_agent"
#define AG_APPROVER_ROLE "agentguard_approver"
#define AG_SCHEMA "agentguard"
#define AG_EXTENSION "pg_agentguard"
#define AG_LIBRARY_VERSION "1.1"		/* the extension version this library implements */

void		identity_init(void);	/* registers the invalidation callbacks; call from _PG_init */

/* The cached answer and its key; written only by identity.cpp. */
namespace identity_cache {
extern bool valid;
extern Oid	session;
extern Oid	outer;
extern Oid	current;
extern bool guarded;
}

bool		session_is_guarded_slow(Oid session, Oid outer, Oid current);

/* Every statement of every session asks this, several times: inlined, three calls and three compares
 * when the roles did not change. Needs a transaction when the cache is cold. */
inline bool
session_is_guarded(void)
{
	Oid			current = GetUserId();
	Oid			outer = GetOuterUserId();
	Oid			session = GetSessionUserId();

	if (likely(identity_cache::valid && current == identity_cache::current &&
			   outer == identity_cache::outer && session == identity_cache::session))
		return identity_cache::guarded;
	return session_is_guarded_slow(session, outer, current);
}

/* True when roleid is an agent. */
bool		role_is_agent(Oid roleid);

/* Approvers: superusers and members of agentguard_approver, in a session that is not guarded. */
bool		current_user_is_approver(void);

/* OIDs of our roles and schema, InvalidOid when absent. Cached, invalidated like the above. */
Oid			agent_role_oid(void);
Oid			approver_role_oid(void);
Oid			guard_schema_oid(void);

namespace identity_cache {
extern bool token_oids_valid;
extern Oid	token_store_oid;
extern Oid	tokens_view_oid;
}

bool		is_token_relation_slow(Oid relid);

/* agentguard.token_store or the agentguard.tokens view: agents may not even read them. */
inline bool
is_token_relation(Oid relid)
{
	if (likely(identity_cache::token_oids_valid))
		return relid == identity_cache::token_store_oid || relid == identity_cache::tokens_view_oid;
	return is_token_relation_slow(relid);
}

}  // namespace agentguard
