/*
 * event_sink.hpp — the one place where an intercepted statement becomes an event.
 *
 * A hook that intercepts a statement fills an Intercept and calls report_intercept(). The sink adds who
 * and where (database, roles, client), redacts passwords, writes the server-log line, hands the record to
 * the audit queue, and then — for a block — raises the ERROR the agent reads (SQLSTATE ZG001), or a
 * WARNING for warn mode. Nothing else in the extension raises a "blocked" error.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/text.hpp"

namespace agentguard {

/* How this session's server lexes SQL (standard_conforming_strings, version): every normalisation and
 * redaction of a statement's text must use it, so that a token's hash and a statement's agree. */
LexOptions	session_lex_options(void);

/* SQLSTATE of every refusal by the guard: class ZG ("agentguard"), implementation-defined. */
#define ERRCODE_AGENTGUARD_BLOCKED MAKE_SQLSTATE('Z', 'G', '0', '0', '1')

enum InterceptKind
{
	INTERCEPT_DESTRUCTIVE_DDL = 1,
	INTERCEPT_DESTRUCTIVE_DML = 2,
	INTERCEPT_SELF_PROTECTION = 3
};

enum InterceptDecision
{
	DECISION_BLOCKED = 0,		/* same numbering as core Decision */
	DECISION_APPROVED = 1,
	DECISION_WARNED = 2,
	DECISION_BREAKER = 3,		/* an agent's circuit breaker tripped (breaker.cpp) */
	DECISION_PREVIEWED = 4		/* an agent ran agentguard.preview() */
};

/* What a hook knows about one intercepted statement. Strings are palloc'd or static. */
struct Intercept
{
	InterceptKind kind;
	InterceptDecision decision;
	const char *command;		/* command tag, e.g. "DROP TABLE" */
	const char *statement;		/* the one statement's raw text (not redacted), may be NULL */
	List	   *objects;		/* char * qualified names */
	List	   *object_oids;	/* Oid list of the objects, for binding a token to them */
	const char *reason;			/* lower-case reason; "would ..." phrasing for row limits */
	int64		rows_affected;	/* -1 when not applicable */
	int64		token_id;		/* 0 unless approved */
};

/* Everything recorded about an event, as the audit queue receives it. Strings palloc'd, never NULL. */
struct EventData
{
	TimestampTz logged_at;
	Oid			database_oid;
	Oid			login_role_oid;		/* authenticated user: whom a token is bound to */
	const char *database;
	const char *session_role;
	const char *current_role;
	const char *application_name;
	const char *client_addr;		/* "" when not over TCP */
	int			backend_pid;
	const char *command;
	const char *statement;			/* redacted, cut to a bounded length */
	const char *statement_normalized;	/* full normalised text (not redacted): hash it, never store it */
	List	   *objects;
	List	   *object_oids;
	int			decision;			/* InterceptDecision */
	const char *reason;
	int64		rows_affected;
	int64		request_id;
	int64		token_id;
	bool		approvable;
	bool		extension_present;
	bool		read_only;
	const char *notify_payload;		/* JSON for NOTIFY agentguard, only for blocked approvable requests */
};

/* Records the event and, for DECISION_BLOCKED, raises the ERROR (does not return). */
void		report_intercept(const Intercept *ic);

/* Records that the circuit breaker of agent tripped: the server-log line, one audit row and, through the
 * audit worker, NOTIFY agentguard with a payload of type "breaker". Never raises an ERROR of its own
 * making; callable in a transaction that is about to abort. */
void		report_breaker_event(const char *agent, const char *reason, const char *tripped_at,
								 const char *reset_call);

/* Records a preview an agent ran (decision "previewed"): statement, objects it would change, total rows. */
void		report_preview_event(const char *statement, List *objects, int64 rows);

/* The text of one statement of a (multi-statement) query string, by location and length. */
char	   *statement_text(const char *query, int location, int len);

}  // namespace agentguard
