/*
 * utility_hook.cpp — the ProcessUtility hook: destructive DDL and self-protection (SPEC §3).
 *
 * Every utility statement of a guarded session passes here before PostgreSQL runs it — at top level, in
 * functions, procedures, DO blocks, EXECUTE and each statement of a multi-statement string — so the
 * verdict comes before anything changed. Each statement is judged alone, with its own text cut out of
 * the query string by stmt_location/stmt_len.
 *
 * What a statement is comes from utility_classify.cpp. The object-access hook (object_access.cpp)
 * checks the objects PostgreSQL really drops, while it drops them, against the permission this hook
 * recorded in the statement's frame, so a name that resolves differently by then, or a cascade, cannot
 * slip through.
 *
 * Frames form a stack on the C stack; PG_FINALLY pops them when an ERROR unwinds.
 */
#include "pg/pg_headers.hpp"

#include "core/policy.hpp"
#include "pg/approval_scope.hpp"
#include "pg/audit_queue.hpp"
#include "pg/breaker.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/hooks.hpp"
#include "pg/human_audit.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"
#include "pg/tokens.hpp"
#include "pg/utility_hook.hpp"

namespace agentguard {

int			internal_depth = 0;

struct UtilityFrame
{
	UtilityFrame *prev;
	DropPermission drops;
	const char *statement;		/* set once judged; else made on demand from the fields below */
	const char *command;
	const char *query;
	int			location;
	int			length;
	Node	   *parsetree;
	const Oid  *scope;			/* a token's objects (sorted) when one approved it, else NULL */
	int			nscope;
};

static UtilityFrame *innermost_frame = nullptr;
static ProcessUtility_hook_type prev_ProcessUtility = nullptr;

DropPermission
current_drop_permission(const char **statement, const char **command)
{
	if (innermost_frame == nullptr)
	{
		*statement = nullptr;
		*command = nullptr;
		return DROPS_NONE;
	}
	if (innermost_frame->statement == nullptr)
		innermost_frame->statement = statement_text(innermost_frame->query, innermost_frame->location,
													innermost_frame->length);
	if (innermost_frame->command == nullptr)
		innermost_frame->command = GetCommandTagName(CreateCommandTag(innermost_frame->parsetree));
	*statement = innermost_frame->statement;
	*command = innermost_frame->command;
	return innermost_frame->drops;
}

const Oid *
current_drop_scope(int *n)
{
	*n = 0;
	if (innermost_frame == nullptr || innermost_frame->drops != DROPS_ALLOWED)
		return nullptr;
	*n = innermost_frame->nscope;
	return innermost_frame->scope;
}

bool
utility_statement_reach(Node *parsetree, List **objects, List **oids, int *unresolved)
{
	UtilityArgs args;
	Verdict		v = {StatementClass::Harmless, nullptr, NIL, NIL, true};
	bool		refused;

	memset(&args, 0, sizeof(args));
	args.parsetree = parsetree;
	classify_utility(&args, &v);
	*objects = NIL;
	*oids = NIL;
	*unresolved = 0;
	if (v.cls != StatementClass::DestructiveDdl)
		return false;
	statement_reach(parsetree, &v.objects, &v.oids, &refused, unresolved);
	*objects = v.objects;
	*oids = v.oids;
	return true;
}

static Action
decide_action(const Verdict *v, int64 token_id)
{
	Facts		f;
	Action		a = Action::Block;

	f.cls = v->cls;
	f.mode = static_cast<Mode>(guc_mode);
	f.only_temp_objects = v->all_temp && v->objects != NIL;
	f.allow_temp_drops = guc_allow_temp_drops;
	f.token_valid = token_id > 0;
	ag_cpp_call("deciding on a statement", [&]() { a = decide(f); });
	return a;
}

Action
judge_verdict(const Verdict *v, const char *command, const char *statement, const Oid **scope, int *nscope)
{
	Intercept	ic;
	int64		token_id = 0;
	Action		action;

	if (v->cls == StatementClass::DestructiveDdl && guc_token != nullptr && guc_token[0] != '\0' &&
		guc_mode != AG_MODE_OFF)
	{
		Oid		   *covered = nullptr;
		int			ncovered = 0;

		token_id = token_match_covering(statement, v->oids, &covered, &ncovered);
		if (scope != nullptr)
		{
			*scope = covered;
			*nscope = ncovered;
		}
	}
	action = decide_action(v, token_id);
	if (action == Action::Allow || action == Action::AllowTemp)
		return action;

	memset(&ic, 0, sizeof(ic));
	ic.kind = v->cls == StatementClass::SelfProtection ? INTERCEPT_SELF_PROTECTION : INTERCEPT_DESTRUCTIVE_DDL;
	ic.command = command;
	ic.statement = statement;
	ic.objects = v->objects;
	ic.object_oids = v->oids;
	ic.reason = v->reason;
	ic.rows_affected = -1;
	ic.token_id = token_id;
	ic.decision = action == Action::Approved ? DECISION_APPROVED :
		action == Action::Warn ? DECISION_WARNED : DECISION_BLOCKED;
	report_intercept(&ic);		/* does not return for a block */
	return action;
}

/* Judges one statement of a guarded session; raises the agent's ERROR when it is refused. */
static void
judge_utility(const UtilityArgs *args, UtilityFrame *frame)
{
	Verdict		v = {StatementClass::Harmless, nullptr, NIL, NIL, true};

	/* An open circuit breaker refuses every write and DDL first (ZG002), whatever the statement is. */
	if (breaker_utility_writes(args->parsetree))
		breaker_refuse_if_open(GetCommandTagName(CreateCommandTag(args->parsetree)));
	classify_utility(args, &v);
	if (v.cls == StatementClass::Harmless)
		return;
	if (v.cls == StatementClass::DestructiveDdl && guc_mode != AG_MODE_OFF)
	{
		bool		refused;
		int			unresolved;

		statement_reach(args->parsetree, &v.objects, &v.oids, &refused, &unresolved);
		/* PostgreSQL's own permission error comes first; the object-access hook still stands behind it. */
		if (refused)
			return;
	}

	frame->command = GetCommandTagName(CreateCommandTag(args->parsetree));
	frame->statement = statement_text(args->query_string, args->pstmt->stmt_location, args->pstmt->stmt_len);
	frame->drops = judge_verdict(&v, frame->command, frame->statement, &frame->scope, &frame->nscope) ==
		Action::AllowTemp ? DROPS_TEMP_ONLY : DROPS_ALLOWED;
}

static void
call_next_utility(const UtilityArgs *a)
{
	if (prev_ProcessUtility != nullptr)
		prev_ProcessUtility(a->pstmt, a->query_string, a->read_only_tree, a->context, a->params,
							a->query_env, a->dest, a->qc);
	else
		standard_ProcessUtility(a->pstmt, a->query_string, a->read_only_tree, a->context, a->params,
								a->query_env, a->dest, a->qc);
}

/* The statement with its verdict recorded in a frame, for the object-access backstop. */
static void
run_utility(const UtilityArgs *args)
{
	UtilityFrame frame;

	frame.prev = innermost_frame;
	frame.drops = DROPS_NONE;
	frame.statement = nullptr;
	frame.command = nullptr;
	frame.query = args->query_string;
	frame.location = args->pstmt->stmt_location;
	frame.length = args->pstmt->stmt_len;
	frame.parsetree = args->parsetree;
	frame.scope = nullptr;
	frame.nscope = 0;

	/* The one branch every human statement pays: a cached membership answer. */
	if (internal_depth == 0 && !IsParallelWorker() && session_is_guarded())
		judge_utility(args, &frame);
	else
		frame.drops = DROPS_ALLOWED;

	/* DROP/ALTER DATABASE, CREATE DATABASE ... TEMPLATE: the audit writers leave that database first. */
	audit_before_database_ddl(args->parsetree);

	innermost_frame = &frame;
	PG_TRY();
	{
		call_next_utility(args);
	}
	PG_FINALLY();
	{
		innermost_frame = frame.prev;
	}
	PG_END_TRY();

	/* The approvers' trail: a human changed an agentguard.* setting (guarded sessions never get here). */
	if (unlikely(is_guard_setting_statement(args->parsetree)) && internal_depth == 0)
		record_setting_change(args->parsetree, args->query_string, args->pstmt->stmt_location,
							  args->pstmt->stmt_len);
}

static void
agentguard_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						  ProcessUtilityContext context, ParamListInfo params,
						  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	UtilityArgs args;

	args.pstmt = pstmt;
	args.parsetree = pstmt->utilityStmt;
	args.query_string = queryString;
	args.read_only_tree = readOnlyTree;
	args.context = context;
	args.params = params;
	args.query_env = queryEnv;
	args.dest = dest;
	args.qc = qc;
	run_utility(&args);
}

void
install_utility_hook(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = agentguard_ProcessUtility;
}

}  // namespace agentguard
