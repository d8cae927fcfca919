/*
 * xact_state.cpp — backend state that must not outlive an ERROR.
 *
 * internal_depth turns the hooks off while pg_agentguard runs its own SQL. Every path that raises it
 * lowers it again in PG_FINALLY/PG_CATCH, but a missed path would leave the guard off for the rest of
 * the session, which is the one failure we cannot accept (fail open). So the transaction callbacks
 * put it back independently: to 0 when a transaction aborts, and to its value at the start of a
 * subtransaction when that subtransaction aborts (an EXCEPTION block that caught our SQL's error).
 *
 * At commit, an agentguard.token that this transaction set or presented is cleared (pooler-safe
 * tokens, guc.cpp); a transaction without a token pays one test.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/hooks.hpp"

namespace agentguard {

/* internal_depth at the start of each open subtransaction, by nesting level. */
static const int kTrackedLevels = 64;
static int	depth_at_level[kTrackedLevels];

static void
on_xact(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		internal_depth = 0;
	/* A token never outlives the transaction that set or presented it (guc.cpp). */
	else if (event == XACT_EVENT_PRE_COMMIT && unlikely(guc_token != nullptr && guc_token[0] != '\0'))
		token_at_commit();
}

static void
on_subxact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	(void) mySubid;
	(void) parentSubid;
	(void) arg;
	if (event == SUBXACT_EVENT_START_SUB)
	{
		if (level >= 0 && level < kTrackedLevels)
			depth_at_level[level] = internal_depth;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* Deeper than tracked: 0 is the safe value (the guard on). */
		internal_depth = (level >= 0 && level < kTrackedLevels) ? depth_at_level[level] : 0;
	}
}

void
install_xact_callbacks(void)
{
	RegisterXactCallback(on_xact, nullptr);
	RegisterSubXactCallback(on_subxact, nullptr);
}

}  // namespace agentguard
