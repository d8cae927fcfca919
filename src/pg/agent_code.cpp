/*
 * agent_code.cpp — provenance: code an agent owns is judged as the agent's wherever it runs (SPEC §2).
 *
 * A function or procedure owned by an agent — called directly, as a trigger, a column default or
 * generated expression, from a view, or as an event trigger — runs in a human's session with the human's
 * privileges and, without this, no guard. PostgreSQL lets a module flag functions when it looks them up
 * (needs_fmgr_hook, as contrib/sepgsql does): only agent-owned functions are flagged, so every other
 * function, a human's and the built-in ones, runs as before and costs nothing more. A flagged function
 * is called through fmgr_security_definer, which calls fmgr_hook when it starts, ends, or is left by
 * an ERROR; for the time it runs, the session is judged as the agent's (identity.cpp's frames) and its
 * statements count toward the transaction's statement (statement_scope.cpp), so per-row calls add up.
 *
 * Rules and views owned by agents carry the agent in the range table (checkAsUser): a destructive query
 * whose target was reached through one is judged as the agent's statement (executor_hooks.cpp asks
 * plan_agent_owner()).
 *
 * Sessions of agents need none of this (they are judged anyway), nor do processes other than client
 * backends (autovacuum's analyze evaluating an index expression is not a statement of anyone's).
 */
#include "pg/pg_headers.hpp"

#include "pg/agent_code.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/statement_scope.hpp"

namespace agentguard {

static needs_fmgr_hook_type prev_needs_fmgr_hook = nullptr;
static fmgr_hook_type prev_fmgr_hook = nullptr;

/* Whether agents' code is judged in this process at all right now. */
static inline bool
judging_agent_code(void)
{
	return guc_mode != AG_MODE_OFF && internal_depth == 0 && AmRegularBackendProcess() &&
		!IsParallelWorker() && IsTransactionState();
}

static bool
ag_needs_fmgr_hook(Oid fn_oid)
{
	if (prev_needs_fmgr_hook != nullptr && prev_needs_fmgr_hook(fn_oid))
		return true;
	if (!AmRegularBackendProcess() || !IsTransactionState())
		return false;
	return OidIsValid(function_agent_owner(fn_oid));
}

/*
 * Our state per call site lives in the private datum fmgr_security_definer keeps for the FmgrInfo
 * (zeroed when it is made): 0 not known yet, 1 not an agent's function, else owner << 8 | 2. With
 * another module's fmgr_hook installed the datum is theirs, and the owner is looked up at every call.
 * A second datum per call records whether this call entered a frame: the stack of calls below.
 */
static const int kMaxCalls = 256;
static bool call_entered[kMaxCalls];
static int	ncalls = 0;

static Oid
call_agent_owner(FmgrInfo *flinfo, Datum *priv)
{
	Oid			owner;

	if (prev_fmgr_hook == nullptr && *priv != 0)
		return (*priv & 0xff) == 2 ? static_cast<Oid>(*priv >> 8) : InvalidOid;
	owner = function_agent_owner(flinfo->fn_oid);
	if (prev_fmgr_hook == nullptr)
		*priv = OidIsValid(owner) ? (static_cast<Datum>(owner) << 8 | 2) : 1;
	return owner;
}

static void
ag_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *priv)
{
	if (prev_fmgr_hook != nullptr)
		prev_fmgr_hook(event, flinfo, priv);
	switch (event)
	{
		case FHET_START:
			{
				bool		entered = false;

				if (judging_agent_code() && !session_is_agent())
				{
					Oid			owner = call_agent_owner(flinfo, priv);

					if (OidIsValid(owner))
					{
						agent_code_enter(owner, AGENT_CODE_FUNCTION, flinfo->fn_oid);
						statement_scope_enter_agent_code();
						entered = true;
					}
				}
				if (ncalls < kMaxCalls)
					call_entered[ncalls] = entered;
				ncalls++;
				break;
			}
		case FHET_END:
		case FHET_ABORT:
			if (ncalls > 0)
			{
				ncalls--;
				if (ncalls < kMaxCalls && call_entered[ncalls])
				{
					statement_scope_leave_agent_code();
					agent_code_leave();
				}
			}
			break;
	}
}

/* A top-level abort ends every call; the calls' own ABORT events normally got there first. */
static void
agent_code_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		ncalls = 0;
}

void
install_agent_code_hooks(void)
{
	prev_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = ag_needs_fmgr_hook;
	prev_fmgr_hook = fmgr_hook;
	fmgr_hook = ag_fmgr_hook;
	RegisterXactCallback(agent_code_xact_callback, nullptr);
}

}  // namespace agentguard
