/*
 * identity.cpp — whose work a statement is: the agent membership cache, the session rule and the
 * provenance frames of agents' code. See identity.hpp for the contract.
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
 * Guarded-session answer, valid for exactly this session and outer (SET ROLE) user. The login
 * (authenticated) role is fixed for the life of the backend, so it is not part of the key. The session
 * user is, although SET SESSION AUTHORIZATION also resets the others: a ROLLBACK restores it alone.
 */
namespace identity_cache {
bool		valid = false;
Oid			session = InvalidOid;
Oid			outer = InvalidOid;
bool		guarded = false;
int			agent_code_depth = 0;
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

/* Agent or not, for the few roles that own the functions, rules and views a session runs. */
struct RoleAnswer
{
	Oid			role;
	bool		agent;
};
static const int kRoleAnswers = 8;
static RoleAnswer role_answers[kRoleAnswers];
static int	nrole_answers = 0;

static void
roles_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	identity_cache::valid = false;
	nrole_answers = 0;
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

static void identity_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									  SubTransactionId parentSubid, void *arg);
static void identity_xact_callback(XactEvent event, void *arg);

void
identity_init(void)
{
	CacheRegisterRelcacheCallback(relations_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, roles_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, namespaces_changed, (Datum) 0);
	RegisterSubXactCallback(identity_subxact_callback, nullptr);
	RegisterXactCallback(identity_xact_callback, nullptr);
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

bool
role_is_agent_cached(Oid roleid)
{
	bool		agent;

	for (int i = 0; i < nrole_answers; i++)
		if (role_answers[i].role == roleid)
			return role_answers[i].agent;
	agent = role_is_agent(roleid);
	if (nrole_answers == kRoleAnswers)
		nrole_answers = 0;		/* a handful of owners in practice: start over rather than evict */
	role_answers[nrole_answers].role = roleid;
	role_answers[nrole_answers].agent = agent;
	nrole_answers++;
	return agent;
}

/*
 * The rule of SPEC §2, for the session: its login role, session user or outer (SET ROLE) user is an
 * agent. Not the current user: PostgreSQL switches to a table's owner for foreign-key actions, REFRESH
 * MATERIALIZED VIEW CONCURRENTLY and maintenance, and a SECURITY DEFINER function's owner is judged by
 * provenance (function_agent_owner), not by being the current user.
 */
static bool
recompute_guarded(Oid session, Oid outer)
{
	Oid			auth = GetAuthenticatedUserId();
	bool		result;

	result = role_is_agent(auth) ||
		(session != auth && role_is_agent(session)) ||
		(outer != session && role_is_agent(outer));
	identity_cache::session = session;
	identity_cache::outer = outer;
	identity_cache::guarded = result;
	identity_cache::valid = true;
	return result;
}

bool
session_is_agent(void)
{
	Oid			outer = GetOuterUserId();
	Oid			session = GetSessionUserId();

	if (likely(identity_cache::valid && outer == identity_cache::outer && session == identity_cache::session))
		return identity_cache::guarded;
	return session_is_guarded_slow(session, outer);
}

bool
session_is_guarded_slow(Oid session, Oid outer)
{
	if (!IsTransactionState())
	{
		/* No catalog access possible (startup, shutdown): only the last known answer for this session
		 * user can be given; no statement runs in such a context. */
		return identity_cache::valid && session == identity_cache::session && identity_cache::guarded;
	}
	return recompute_guarded(session, outer);
}

/* ---------------------------------------------------------------------------------------------
 * Provenance: agents' code in a session that is not an agent's
 * --------------------------------------------------------------------------------------------- */

struct AgentCodeFrame
{
	Oid			owner;
	AgentCodeKind kind;
	Oid			object;
	int			xact_level;		/* subtransaction nesting level it was entered at */
};
static const int kMaxFrames = 64;
static AgentCodeFrame frames[kMaxFrames];	/* deeper nesting shares the outermost frames' owner */

void
agent_code_enter(Oid owner, AgentCodeKind kind, Oid object)
{
	int			d = identity_cache::agent_code_depth;

	if (d < kMaxFrames)
	{
		frames[d].owner = owner;
		frames[d].kind = kind;
		frames[d].object = object;
		frames[d].xact_level = GetCurrentTransactionNestLevel();
	}
	identity_cache::agent_code_depth = d + 1;
}

void
agent_code_leave(void)
{
	if (identity_cache::agent_code_depth > 0)
		identity_cache::agent_code_depth--;
}

bool
agent_code_current(Oid *owner, char **description)
{
	const AgentCodeFrame *f = &frames[0];
	char	   *role;

	if (identity_cache::agent_code_depth == 0)
		return false;
	*owner = f->owner;
	role = GetUserNameFromId(f->owner, true);
	if (f->kind == AGENT_CODE_FUNCTION)
		*description = psprintf("function %s owned by agent role \"%s\"",
								format_procedure_qualified(f->object), role != nullptr ? role : "?");
	else
	{
		char	   *nsp = get_namespace_name(get_rel_namespace(f->object));
		char	   *rel = get_rel_name(f->object);

		*description = psprintf("a rule or view of agent role \"%s\" changing %s.%s",
								role != nullptr ? role : "?", nsp != nullptr ? quote_identifier(nsp) : "?",
								rel != nullptr ? quote_identifier(rel) : "?");
	}
	return true;
}

Oid
acting_role_oid(void)
{
	if (identity_cache::agent_code_depth > 0)
		return frames[0].owner;
	return GetAuthenticatedUserId();
}

Oid
function_agent_owner(Oid fn_oid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return role_is_agent_cached(owner) ? owner : InvalidOid;
}

/* An aborted subtransaction takes the frames entered inside it along (an ERROR caught by the caller);
 * a top-level abort takes them all. */
static void
identity_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	(void) mySubid;
	(void) parentSubid;
	(void) arg;
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (identity_cache::agent_code_depth > 0)
	{
		int			top = identity_cache::agent_code_depth - 1;

		if (top < kMaxFrames && frames[top].xact_level < GetCurrentTransactionNestLevel())
			break;
		identity_cache::agent_code_depth--;
	}
}

static void
identity_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		identity_cache::agent_code_depth = 0;
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
