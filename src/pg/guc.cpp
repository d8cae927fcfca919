/*
 * guc.cpp — definition and protection of the agentguard.* settings. See guc.hpp for the contract.
 *
 * The check hooks run for every attempt to set a value, including at server start and on SIGHUP, where
 * there is no session and no transaction: they look at the session only for sources a session controls
 * (PGC_S_CLIENT and above), which only occur in a backend inside a transaction.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/identity.hpp"

namespace agentguard {

int			guc_mode = AG_MODE_ENFORCE;
int			guc_max_rows = 1000;
double		guc_max_fraction = 0.01;
int			guc_fraction_min_rows = 100;
bool		guc_block_unqualified = true;
bool		guc_allow_temp_drops = true;
int			guc_max_valid_for = 86400;
char	   *guc_token = nullptr;
int			guc_max_writers = 2;
bool		guc_drop_confirm = false;
int			guc_request_ttl = 86400;
int			guc_log_level = LOG;

static const struct config_enum_entry log_level_options[] = {
	{"debug5", DEBUG5, false},
	{"debug4", DEBUG4, false},
	{"debug3", DEBUG3, false},
	{"debug2", DEBUG2, false},
	{"debug1", DEBUG1, false},
	{"debug", DEBUG2, true},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{"warning", WARNING, false},
	{"log", LOG, false},
	{nullptr, 0, false}
};

/*
 * Pooler-safe tokens. A token is honoured only in the transaction that set it (SET, SET LOCAL or
 * set_config() inside that transaction; a multi-statement query string is one transaction), or, when it
 * came with the connection (-c agentguard.token=...), until the first transaction that presents it; and
 * every transaction that set or presented a token clears it when it commits. So a token never reaches
 * the next client of a pooled server connection, not even through SHOW: the check hook below remembers
 * which value was set in which transaction, and token_presented() compares both.
 */
static const size_t kMaxTokenLength = 128;
static char token_set_value[kMaxTokenLength];
static LocalTransactionId token_set_lxid = InvalidLocalTransactionId;
static bool token_from_connection = false;
static LocalTransactionId token_used_lxid = InvalidLocalTransactionId;

static bool
check_token(char **newval, void **extra, GucSource source)
{
	const char *v = *newval != nullptr ? *newval : "";

	(void) extra;
	if (source < PGC_S_CLIENT || source == PGC_S_TEST || IsParallelWorker())
		return true;
	if (strlen(v) >= kMaxTokenLength)
		v = "";					/* longer than any token: never honoured */
	snprintf(token_set_value, sizeof(token_set_value), "%s", v);
	token_from_connection = source == PGC_S_CLIENT;
	token_set_lxid = token_from_connection ? InvalidLocalTransactionId : AG_MY_LXID;
	return true;
}

const char *
token_presented(void)
{
	if (guc_token == nullptr || guc_token[0] == '\0')
		return nullptr;
	if (strcmp(guc_token, token_set_value) != 0)
		return nullptr;			/* a value restored by a rollback, or a role or database default */
	if (!token_from_connection && token_set_lxid != AG_MY_LXID)
		return nullptr;			/* set by an earlier transaction */
	token_used_lxid = AG_MY_LXID;
	return guc_token;
}

void
token_at_commit(void)
{
	LocalTransactionId lxid = AG_MY_LXID;

	if (token_set_lxid != lxid && token_used_lxid != lxid)
		return;
	token_from_connection = false;
	token_set_value[0] = '\0';
	(void) set_config_option("agentguard.token", "", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0,
							 false);
	token_set_value[0] = '\0';
	token_set_lxid = InvalidLocalTransactionId;
	token_used_lxid = InvalidLocalTransactionId;
}
int			guc_budget_window = 3600;
int			guc_budget_rows = -1;
double		guc_budget_fraction = 0.5;
int			guc_breaker_blocks = 5;
int			guc_preview_timeout = 10000;

static const struct config_enum_entry mode_options[] = {
	{"enforce", AG_MODE_ENFORCE, false},
	{"warn", AG_MODE_WARN, false},
	{"off", AG_MODE_OFF, false},
	{nullptr, 0, false}
};

/*
 * Shared by every protected setting. Returns false (refusing the value) when a guarded session is the
 * one asking. A parallel worker only replays its leader's values, which were checked in the leader.
 */
static bool
refuse_in_guarded_session(GucSource source)
{
	if (source < PGC_S_CLIENT)
		return true;
	if (IsParallelWorker() || !IsTransactionState())
		return true;
	if (!session_is_guarded())
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("agents may not change pg_agentguard settings");
	GUC_check_errdetail("The session's role is a member of agentguard_agent; only agentguard.token may be set.");
	GUC_check_errhint("Ask a DBA to change the setting with ALTER ROLE ... SET. Do not try to get around the guard.");
	return false;
}

static bool
check_protected_int(int *newval, void **extra, GucSource source)
{
	(void) newval;
	(void) extra;
	return refuse_in_guarded_session(source);
}

static bool
check_protected_real(double *newval, void **extra, GucSource source)
{
	(void) newval;
	(void) extra;
	return refuse_in_guarded_session(source);
}

static bool
check_protected_bool(bool *newval, void **extra, GucSource source)
{
	(void) newval;
	(void) extra;
	return refuse_in_guarded_session(source);
}

static bool
check_protected_enum(int *newval, void **extra, GucSource source)
{
	(void) newval;
	(void) extra;
	return refuse_in_guarded_session(source);
}

void
define_settings(void)
{
	const int	protected_flags = GUC_NO_RESET_ALL;

	DefineCustomEnumVariable("agentguard.mode",
							 "What pg_agentguard does with an agent's destructive statement.",
							 "enforce blocks it, warn lets it run with a WARNING and records it, off does nothing.",
							 &guc_mode, AG_MODE_ENFORCE, mode_options,
							 PGC_SUSET, protected_flags, check_protected_enum, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.max_rows",
							"Most rows an agent's DELETE, UPDATE or MERGE may change in one table.",
							"-1 means no absolute limit.",
							&guc_max_rows, 1000, -1, INT_MAX,
							PGC_SUSET, protected_flags, check_protected_int, nullptr, nullptr);
	DefineCustomRealVariable("agentguard.max_fraction",
							 "Largest fraction of a table an agent's statement may change.",
							 "Applies once more than agentguard.fraction_min_rows rows change; 1 disables it.",
							 &guc_max_fraction, 0.01, 0.0, 1.0,
							 PGC_SUSET, protected_flags, check_protected_real, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.fraction_min_rows",
							"Rows an agent's statement may change before agentguard.max_fraction applies.",
							nullptr,
							&guc_fraction_min_rows, 100, 0, INT_MAX,
							PGC_SUSET, protected_flags, check_protected_int, nullptr, nullptr);
	DefineCustomBoolVariable("agentguard.block_unqualified",
							 "Block an agent's DELETE or UPDATE without a WHERE clause.",
							 nullptr,
							 &guc_block_unqualified, true,
							 PGC_SUSET, protected_flags, check_protected_bool, nullptr, nullptr);
	DefineCustomBoolVariable("agentguard.allow_temp_drops",
							 "Let agents drop and truncate their own temporary objects.",
							 nullptr,
							 &guc_allow_temp_drops, true,
							 PGC_SUSET, protected_flags, check_protected_bool, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.max_valid_for",
							"Longest time an approval token may stay valid.",
							nullptr,
							&guc_max_valid_for, 86400, 1, INT_MAX,
							PGC_SUSET, protected_flags | GUC_UNIT_S, check_protected_int, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.max_writers",
							"Most background-worker slots the audit writers use at once, besides the launcher.",
							"Each takes one of max_worker_processes while it writes; writers leave when idle.",
							&guc_max_writers, 2, 1, 64,
							PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.budget_window",
							"Rolling window over which an agent's budgets and refusals are counted.",
							nullptr,
							&guc_budget_window, 3600, 1, INT_MAX,
							PGC_SUSET, protected_flags | GUC_UNIT_S, check_protected_int, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.budget_rows",
							"Most rows an agent may change in all tables within agentguard.budget_window.",
							"-1 means 10 times agentguard.max_rows (no limit when that is -1); 0 means no limit.",
							&guc_budget_rows, -1, -1, INT_MAX,
							PGC_SUSET, protected_flags, check_protected_int, nullptr, nullptr);
	DefineCustomRealVariable("agentguard.budget_fraction",
							 "Largest fraction of one table an agent may change within agentguard.budget_window.",
							 "Applies to tables of more than 50 rows; 1 disables it.",
							 &guc_budget_fraction, 0.5, 0.0, 1.0,
							 PGC_SUSET, protected_flags, check_protected_real, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.breaker_blocks",
							"Refusals within agentguard.budget_window after which an agent's circuit breaker trips.",
							"0 means refusals never trip it.",
							&guc_breaker_blocks, 5, 0, INT_MAX,
							PGC_SUSET, protected_flags, check_protected_int, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.preview_timeout",
							"Longest time agentguard.preview() lets a statement run before it stops it and says so.",
							"0 means no cap.",
							&guc_preview_timeout, 10000, 0, INT_MAX,
							PGC_SUSET, protected_flags | GUC_UNIT_MS, check_protected_int, nullptr, nullptr);
	DefineCustomStringVariable("agentguard.token",
							   "Approval token presented by an agent to run one approved statement.",
							   nullptr,
							   &guc_token, "",
							   PGC_USERSET, GUC_NOT_IN_SAMPLE, check_token, nullptr, nullptr);
	DefineCustomBoolVariable("agentguard.drop_confirm",
							 "Lets DROP EXTENSION pg_agentguard erase the audit history of the database.",
							 "Without it, dropping the extension is refused while agentguard.audit_log has rows.",
							 &guc_drop_confirm, false,
							 PGC_SUSET, protected_flags, check_protected_bool, nullptr, nullptr);
	DefineCustomIntVariable("agentguard.request_ttl",
							"How long a blocked statement's request can be approved before it expires.",
							nullptr,
							&guc_request_ttl, 86400, 1, INT_MAX,
							PGC_SUSET, protected_flags | GUC_UNIT_S, check_protected_int, nullptr, nullptr);
	DefineCustomEnumVariable("agentguard.log_level",
							 "Message level of pg_agentguard's server-log line for each event and human action.",
							 "Like pgaudit.log_level; the line reaches the server log only when log_min_messages lets it through.",
							 &guc_log_level, LOG, log_level_options,
							 PGC_SUSET, protected_flags, check_protected_enum, nullptr, nullptr);

	MarkGUCPrefixReserved_compat("agentguard");
}

bool
is_protected_setting(const char *name)
{
	if (name == nullptr || pg_strncasecmp(name, "agentguard.", 11) != 0)
		return false;
	return pg_strcasecmp(name, "agentguard.token") != 0;
}

}  // namespace agentguard

namespace agentguard {

const char *
setting_origin(const char *name)
{
	int			n = 0;
	struct config_generic **vars = get_guc_variables_compat(&n);

	for (int i = 0; i < n; i++)
	{
		if (pg_strcasecmp(vars[i]->name, name) != 0)
			continue;
		switch (vars[i]->source)
		{
			case PGC_S_DEFAULT:
			case PGC_S_DYNAMIC_DEFAULT:
				return "default";
			case PGC_S_FILE:
			case PGC_S_ARGV:
			case PGC_S_ENV_VAR:
				return "server configuration";
			case PGC_S_GLOBAL:
				return "ALTER ROLE ALL setting";
			case PGC_S_DATABASE:
				return "database setting";
			case PGC_S_USER:
			case PGC_S_DATABASE_USER:
				return "role setting";
			default:
				return "session setting";
		}
	}
	return "default";
}

}  // namespace agentguard
