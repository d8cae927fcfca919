/*
 * identity.hpp — whose work a statement is (SPEC §2). The one place that answers it.
 *
 * A role is an agent when it is a member, directly or indirectly and regardless of INHERIT, of
 * agentguard_agent; superuser status alone does not count. A statement is an agent's when
 *   - the session's login (authenticated) role, its session user (SET SESSION AUTHORIZATION) or the role
 *     it SET ROLE to is an agent — so SET ROLE, SECURITY DEFINER functions and RESET ROLE never lift the
 *     guard, and an agent reached by SET ROLE stays guarded inside a human's SECURITY DEFINER function; or
 *   - it runs code an agent owns (provenance): a function or procedure owned by an agent (called
 *     directly, as a trigger, a column default, from a view or as an event trigger), or a rule or view
 *     of an agent (the range table's checkAsUser). Such code is judged as the agent's wherever it runs,
 *     and what it is stopped for is recorded as that agent's request.
 * The current user alone does not count: PostgreSQL switches to a table's owner for its own work
 * (foreign-key cascades, REFRESH MATERIALIZED VIEW CONCURRENTLY, autovacuum and analyze), and that does
 * not make a human's statement an agent's.
 *
 * The session answer is cached per backend, keyed by the session and outer user, and dropped when
 * pg_authid or pg_auth_members change (syscache invalidation), so a GRANT or REVOKE of agentguard_agent
 * takes effect at the role's next statement. For an untagged session a check costs two calls and two
 * compares, plus one compare for agents' code.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

#define AG_AGENT_ROLE "agentguard_agent"
#define AG_APPROVER_ROLE "agentguard_approver"
#define AG_SCHEMA "agentguard"
#define AG_EXTENSION "pg_agentguard"

void		identity_init(void);	/* registers the invalidation callbacks; call from _PG_init */

/* The cached answer and its key; written only by identity.cpp. */
namespace identity_cache {
extern bool valid;
extern Oid	session;
extern Oid	outer;
extern bool guarded;
extern int	agent_code_depth;	/* agents' code running in a session that is not guarded */
}

bool		session_is_guarded_slow(Oid session, Oid outer);

/* Every statement of every session asks this, several times: inlined, two calls and three compares
 * when the roles did not change. Needs a transaction when the cache is cold. True inside agents' code. */
inline bool
session_is_guarded(void)
{
	Oid			outer = GetOuterUserId();
	Oid			session = GetSessionUserId();

	if (likely(identity_cache::valid && outer == identity_cache::outer && session == identity_cache::session))
		return identity_cache::guarded || identity_cache::agent_code_depth > 0;
	return session_is_guarded_slow(session, outer) || identity_cache::agent_code_depth > 0;
}

/* The session itself is an agent's (login, session or SET ROLE role), agents' code aside. */
bool		session_is_agent(void);

/*
 * Provenance: code an agent owns, running in a session that is not an agent's. enter() pushes a frame
 * (what is running, whose it is), leave() pops it; frames left by an aborted subtransaction are popped
 * by identity.cpp's subtransaction callback. agent_code_current() names the outermost frame's owner and
 * describes the code ("function app.cleanup()"), for the records and the human's error.
 */
enum AgentCodeKind
{
	AGENT_CODE_FUNCTION = 1,	/* a function or procedure; object is its OID */
	AGENT_CODE_RULE_OR_VIEW = 2 /* a rule or view; object is the target table's OID */
};
void		agent_code_enter(Oid owner, AgentCodeKind kind, Oid object);
void		agent_code_leave(void);
bool		agent_code_current(Oid *owner, char **description);

/* Whom a request and a token belong to: the owner of the agents' code running, else the login role. */
Oid			acting_role_oid(void);

/* The owner of a function when that owner is an agent, else InvalidOid (one syscache lookup). */
Oid			function_agent_owner(Oid fn_oid);

/* Whether roleid is an agent, remembered for a few roles (owners of functions, rules and views). */
bool		role_is_agent_cached(Oid roleid);

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
