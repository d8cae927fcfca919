/*
 * guc.hpp — the agentguard.* settings (SPEC §7).
 *
 * Every setting but agentguard.token is PGC_SUSET and has a check hook that refuses any change a
 * guarded session asks for (SET, SET LOCAL, set_config(), function SET clauses, UPDATE pg_settings,
 * connection options), whatever its privileges. Values from the configuration file and from
 * ALTER ROLE/DATABASE ... SET made by a DBA still apply: they arrive with sources below PGC_S_CLIENT.
 * RESET ALL leaves them alone (GUC_NO_RESET_ALL); RESET of one is refused by the utility hook.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

extern int	guc_mode;				/* enum: AG_MODE_OFF, AG_MODE_WARN, AG_MODE_ENFORCE */
extern int	guc_max_rows;
extern double guc_max_fraction;
extern int	guc_fraction_min_rows;
extern bool guc_block_unqualified;
extern bool guc_allow_temp_drops;
extern int	guc_max_valid_for;		/* seconds */
extern char *guc_token;
extern int	guc_max_writers;		/* agentguard.max_writers, fixed at server start */
extern bool guc_drop_confirm;
extern int	guc_request_ttl;		/* seconds */
extern int	guc_log_level;			/* elevel of the per-event server-log line */

/* The token this statement may use: agentguard.token when it was set in this transaction (or came with
 * the connection and was not presented before); NULL otherwise. Marks the token used. */
const char *token_presented(void);

/* At commit: clears agentguard.token when this transaction set or presented it. */
void		token_at_commit(void);
extern int	guc_budget_window;		/* seconds */
extern int	guc_budget_rows;		/* -1: 10 x max_rows; 0: no total budget */
extern double guc_budget_fraction;	/* 1: off */
extern int	guc_breaker_blocks;		/* 0: refusals never trip the breaker */
extern int	guc_preview_timeout;	/* milliseconds a preview may run; 0: no cap */

enum
{
	AG_MODE_OFF = 0,
	AG_MODE_WARN = 1,
	AG_MODE_ENFORCE = 2
};

void		define_settings(void);

/* True for an agentguard.* name other than agentguard.token (case-insensitive), i.e. one an agent
 * may not change. */
bool		is_protected_setting(const char *name);

/* "role setting" when the value of name came from ALTER ROLE ... SET, "database setting", "configuration
 * file", or "default": for error texts that tell where a limit came from. */
const char *setting_origin(const char *name);

}  // namespace agentguard
