/*
 * event_sink.cpp — builds the event of an intercepted statement and raises the agent's error.
 * See event_sink.hpp for the contract and pg_guard.hpp for the C++/PostgreSQL boundary rule: every
 * PostgreSQL call here happens outside ag_cpp_call(); the C++ core only formats.
 */
#include "pg/pg_headers.hpp"

#include <string>

#include "core/event.hpp"
#include "core/text.hpp"
#include "pg/audit.hpp"
#include "pg/breaker.hpp"
#include "pg/hooks.hpp"
#include "pg/event_sink.hpp"
#include "pg/guc.hpp"
#include "pg/human_audit.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

LexOptions
session_lex_options(void)
{
	LexOptions	o;

	o.standard_conforming_strings = standard_conforming_strings;
	o.server_version_num = PG_VERSION_NUM;
	return o;
}

/* Longest statement text kept in a record; the full text still binds tokens through its hash. */
static const size_t kMaxRecordedStatement = 64 * 1024;

char *
statement_text(const char *query, int location, int len)
{
	int			qlen;

	if (query == nullptr)
		return pstrdup("");
	qlen = (int) strlen(query);
	if (location < 0 || location > qlen)
		return pstrdup(query);
	if (len <= 0 || location + len > qlen)
		len = qlen - location;
	return pnstrdup(query + location, len);
}

/* inet_client_addr() without libpq-be.h: NULL (not over TCP) becomes "". */
static const char *
client_address(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		addr;

	InitFunctionCallInfoData(*fcinfo, nullptr, 0, InvalidOid, nullptr, nullptr);
	addr = inet_client_addr(fcinfo);
	if (fcinfo->isnull)
		return "";
	return DatumGetCString(DirectFunctionCall1(inet_out, addr));
}

static const char *
nonnull(const char *s)
{
	return s != nullptr ? s : "";
}

/* Who and where, gathered with PostgreSQL calls before any C++ object exists. */
static void
fill_session(EventData *ev, Oid agent_code_owner)
{
	ev->logged_at = GetCurrentTimestamp();
	ev->database_oid = MyDatabaseId;
	ev->login_role_oid = acting_role_oid();
	ev->database = nonnull(get_database_name(MyDatabaseId));
	/* agents' code in a human's session is recorded as the agent's (SPEC §2, provenance), and after
	 * SET SESSION AUTHORIZATION the agent that logged in stays the actor */
	ev->session_role = nonnull(GetUserNameFromId(OidIsValid(agent_code_owner) ? agent_code_owner
												 : role_is_agent(GetAuthenticatedUserId()) ? GetAuthenticatedUserId()
												 : GetSessionUserId(), true));
	ev->current_role = nonnull(GetUserNameFromId(GetUserId(), true));
	ev->application_name = pstrdup(nonnull(GetConfigOption("application_name", true, false)));
	ev->client_addr = client_address();
	ev->backend_pid = MyProcPid;
}

struct Texts
{
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *log_line;
};

/* Every string field of ev is non-NULL here except statement, which format_event() fills in. */
static void
to_core_event(const EventData *ev, Event *out)
{
	ListCell   *lc;

	out->database = nonnull(ev->database);
	out->session_role = nonnull(ev->session_role);
	out->current_role = nonnull(ev->current_role);
	out->application_name = nonnull(ev->application_name);
	out->client_addr = nonnull(ev->client_addr);
	out->backend_pid = ev->backend_pid;
	out->command = nonnull(ev->command);
	foreach(lc, ev->objects)
		out->objects.emplace_back(nonnull(static_cast<const char *>(lfirst(lc))));
	out->decision = static_cast<Decision>(ev->decision);
	out->reason = nonnull(ev->reason);
	out->rows_affected = ev->rows_affected;
	out->request_id = ev->request_id;
	out->token_id = ev->token_id;
	out->approvable = ev->approvable;
	out->extension_present = ev->extension_present;
	out->read_only = ev->read_only;
}

/* The C++ part: redaction, normalisation, every text. Results come back as palloc'd strings. */
static void
format_event(EventData *ev, const char *raw_statement, const char *agent_code, Texts *t)
{
	char	   *redacted = nullptr;
	char	   *normalized = nullptr;
	char	   *payload = nullptr;
	LexOptions	lex = session_lex_options();

	ag_cpp_call("formatting an event", [&]() {
		std::string raw(raw_statement != nullptr ? raw_statement : "");
		std::string red = truncate_utf8(redact_passwords(raw, lex), kMaxRecordedStatement);

		redacted = ag_pstrdup_nothrow(red);
		normalized = ag_pstrdup_nothrow(normalize_statement(raw, lex));

		Event e;
		to_core_event(ev, &e);
		e.statement = red;
		if (agent_code != nullptr)
			e.agent_code = agent_code;
		ErrorText et = error_text(e);

		t->message = ag_pstrdup_nothrow(et.message);
		t->detail = ag_pstrdup_nothrow(et.detail);
		t->hint = ag_pstrdup_nothrow(et.hint);
		t->log_line = ag_pstrdup_nothrow(log_line(e));
		if (e.decision == Decision::Blocked && e.approvable && e.request_id > 0)
			payload = ag_pstrdup_nothrow(notify_payload(e));
	});
	ev->statement = ag_check_alloc(redacted);
	ev->statement_normalized = ag_check_alloc(normalized);
	ev->notify_payload = payload;
	ag_check_alloc(t->message);
	ag_check_alloc(t->detail);
	ag_check_alloc(t->hint);
	ag_check_alloc(t->log_line);
}

void
report_intercept(const Intercept *ic)
{
	EventData  *ev = static_cast<EventData *>(palloc0(sizeof(EventData)));
	Texts		t = {};
	bool		blocked = ic->decision == DECISION_BLOCKED;
	bool		approvable = ic->kind != INTERCEPT_SELF_PROTECTION;
	Oid			agent_code_owner = InvalidOid;
	char	   *agent_code = nullptr;

	/* A preview is rolled back: what it would have warned about is its result, not an event. */
	if (preview_active && !blocked)
		return;
	if (!agent_code_current(&agent_code_owner, &agent_code))
		agent_code_owner = InvalidOid;
	fill_session(ev, agent_code_owner);
	ev->command = nonnull(ic->command);
	ev->objects = ic->objects;
	ev->object_oids = ic->object_oids;
	ev->decision = ic->decision;
	ev->reason = nonnull(ic->reason);
	ev->rows_affected = ic->rows_affected;
	ev->token_id = ic->token_id;
	/* An approved statement's row names the request its token was issued for. */
	if (ic->decision == DECISION_APPROVED && ic->token_id > 0)
		ev->request_id = token_request_id(ic->token_id);
	ev->approvable = approvable;
	ev->extension_present = true;
	if (blocked && approvable)
		ev->request_id = audit_reserve_request_id(&ev->extension_present, &ev->read_only);

	format_event(ev, ic->statement, agent_code, &t);
	/* Why a presented token did not apply, and whether a human already said no to this statement. */
	if (blocked && approvable)
	{
		const char *refused = token_refusal_note();
		char	   *denied = ev->extension_present ? denial_note(ev->statement_normalized) : nullptr;

		if (refused != nullptr)
			t.detail = psprintf("%s %s", t.detail, refused);
		if (denied != nullptr)
			t.detail = psprintf("%s %s", t.detail, denied);
	}

	/* The server log is a record of its own: it holds every event even when the queue cannot. */
	ereport(guc_log_level, (errmsg_internal("%s", t.log_line), errhidestmt(true), errhidecontext(true)));
	audit_enqueue(ev);

	/* Every refusal of an agent counts toward its breaker (agentguard.breaker_blocks). */
	if (blocked && breaker_note_refusal())
		t.detail = psprintf("%s The agent's circuit breaker tripped: its writes and DDL are refused until a human resets it.",
							t.detail);
	if (blocked)
		ereport(ERROR,
				(errcode(ERRCODE_AGENTGUARD_BLOCKED),
				 errmsg_internal("%s", t.message),
				 errdetail_internal("%s", t.detail),
				 errhint("%s", t.hint),
				 errhidestmt(true)));
	if (ic->decision == DECISION_WARNED)
		ereport(WARNING,
				(errcode(ERRCODE_AGENTGUARD_BLOCKED),
				 errmsg_internal("%s", t.message),
				 errdetail_internal("%s", t.detail),
				 errhidestmt(true)));
}

/* ---------------------------------------------------------------------------------------------------
 * Breaker and preview records: built here with PostgreSQL calls only (no C++ object is involved). */

static void
json_field(StringInfo buf, const char *key, const char *value, bool first)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	escape_json(buf, value != nullptr ? value : "");
}

static void
log_breaker_line(const EventData *ev, const char *extra)
{
	StringInfoData line;

	initStringInfo(&line);
	appendStringInfo(&line, "pg_agentguard: decision=%s database=", ev->decision == DECISION_BREAKER ? "breaker" : "previewed");
	escape_json(&line, ev->database);
	appendStringInfoString(&line, " session_role=");
	escape_json(&line, ev->session_role);
	appendStringInfoString(&line, " current_role=");
	escape_json(&line, ev->current_role);
	appendStringInfo(&line, " backend_pid=%d command=", ev->backend_pid);
	escape_json(&line, ev->command);
	appendStringInfoString(&line, " reason=");
	escape_json(&line, ev->reason);
	if (extra != nullptr)
		appendStringInfoString(&line, extra);
	ereport(LOG, (errmsg_internal("%s", line.data), errhidestmt(true), errhidecontext(true)));
}

void
report_breaker_event(const char *agent, const char *reason, const char *tripped_at, const char *reset_call)
{
	EventData  *ev = static_cast<EventData *>(palloc0(sizeof(EventData)));
	StringInfoData payload;

	fill_session(ev, InvalidOid);
	ev->command = "circuit breaker";
	ev->statement = "";
	ev->objects = list_make1(pstrdup(agent));
	ev->decision = DECISION_BREAKER;
	ev->reason = psprintf("circuit breaker of agent \"%s\" tripped: %s", agent, reason);
	ev->rows_affected = -1;
	ev->approvable = false;
	ev->extension_present = true;
	initStringInfo(&payload);
	appendStringInfoChar(&payload, '{');
	json_field(&payload, "type", "breaker", true);
	json_field(&payload, "agent", agent, false);
	json_field(&payload, "database", ev->database, false);
	json_field(&payload, "state", "open", false);
	json_field(&payload, "tripped_at", tripped_at, false);
	json_field(&payload, "reason", reason, false);
	json_field(&payload, "reset", reset_call, false);
	appendStringInfoChar(&payload, '}');
	ev->notify_payload = payload.data;
	log_breaker_line(ev, nullptr);
	audit_enqueue(ev);
}

void
report_preview_event(const char *statement, List *objects, int64 rows)
{
	EventData  *ev = static_cast<EventData *>(palloc0(sizeof(EventData)));
	char	   *redacted = nullptr;
	LexOptions	lex = session_lex_options();
	const char *raw = statement != nullptr ? statement : "";

	fill_session(ev, InvalidOid);
	ag_cpp_call("formatting a preview record", [&]() {
		redacted = ag_pstrdup_nothrow(truncate_utf8(redact_passwords(std::string(raw), lex), kMaxRecordedStatement));
	});
	ev->command = "PREVIEW";
	ev->statement = ag_check_alloc(redacted);
	ev->objects = objects;
	ev->decision = DECISION_PREVIEWED;
	ev->reason = "dry run of agentguard.preview(): rolled back";
	ev->rows_affected = rows;
	ev->approvable = false;
	ev->extension_present = true;
	log_breaker_line(ev, nullptr);
	audit_enqueue(ev);
}

}  // namespace agentguard
