/*
 * human_audit.hpp — the approvers' trail (SPEC §6): every decision and every change of the guard's
 * settings by a human becomes a row of agentguard.audit_log (decision approve, deny, grant_token,
 * revoke_token, setting, reset_breaker, trip_breaker, restore, purge) and a server-log line saying who
 * did it and from where; DROP EXTENSION does not erase the history silently; purge_audit() is the one
 * sanctioned way to delete audit rows.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* One human action. Strings palloc'd or static; NULL where unknown. */
struct HumanAction
{
	const char *decision;		/* "approve", "deny", "grant_token", "revoke_token", "setting", ... */
	const char *command;		/* e.g. "agentguard.approve" or a command tag ("ALTER ROLE") */
	const char *statement;		/* the statement as the human sent it (redacted here); NULL: the query */
	List	   *objects;		/* char * names the action concerns */
	const char *reason;			/* what was done, in words */
	int64		rows_affected;	/* -1: none */
	int64		request_id;		/* 0: none */
	int64		token_id;		/* 0: none */
};

/*
 * Records a human action: the server-log line always; the audit row (hash-chained, in the caller's
 * transaction, so it exists exactly when the action commits) where the database has the extension and
 * can be written; NOTIFY agentguard for decisions on requests. Never raises an ERROR: a failure to
 * write the row is a WARNING, the log line stays the record.
 */
void		record_human_action(const HumanAction *a);

/* ProcessUtility, after a human's statement succeeded: is it a change of an agentguard.* setting
 * (ALTER ROLE/DATABASE ... SET, ALTER SYSTEM)? Cheap for every other statement. */
inline bool
is_guard_setting_statement(Node *parsetree)
{
	NodeTag		t = nodeTag(parsetree);

	return t == T_AlterRoleSetStmt || t == T_AlterDatabaseSetStmt || t == T_AlterSystemStmt;
}

/* Records such a statement when it touched an agentguard.* setting. */
void		record_setting_change(Node *parsetree, const char *query, int location, int length);

/* Object-access hook, OAT_DROP of a relation by anyone: refuses to drop agentguard.audit_log while it
 * has rows, unless agentguard.drop_confirm is on (then logs what is erased). */
void		check_history_drop(Oid relid);

/* The request a token was issued for (0 for grant_token's tokens or when unknown). */
int64		token_request_id(int64 token_id);

}  // namespace agentguard
