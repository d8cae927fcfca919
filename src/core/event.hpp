// The intercept event of pg_agentguard and every text made from it: the error a blocked agent reads,
// the server log line, the NOTIFY payload.
//
// Pure C++17, no Postgres header. One event is built per intercepted statement by the glue
// (src/pg/event_sink.cpp); this module only formats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace agentguard {

enum class Decision { Blocked = 0, Approved = 1, Warned = 2, Breaker = 3, Previewed = 4 };

const char* decision_name(Decision d);  // "blocked", "approved", "warned", "breaker", "previewed"

struct Event {
    std::string database;
    std::string session_role;
    std::string current_role;
    std::string application_name;
    std::string client_addr;          // empty when local
    int backend_pid = 0;
    std::string command;              // command tag, e.g. "DROP TABLE"
    std::string statement;            // already redacted
    std::vector<std::string> objects; // qualified names, e.g. "public.users"
    Decision decision = Decision::Blocked;
    std::string reason;               // short, lower case, e.g. "destructive DDL needs an approval"
    int64_t rows_affected = -1;       // -1: not applicable / unknown
    int64_t request_id = 0;           // 0: none
    int64_t token_id = 0;             // 0: none
    bool approvable = true;           // false for self-protection refusals
    bool extension_present = true;    // CREATE EXTENSION ran in this database
    bool read_only = false;           // a standby: nothing can be recorded or approved here
    std::string agent_code;           // agents' code stopped in a session that is not an agent's, e.g.
                                      // "function app.cleanup() owned by agent role \"bot\""; empty: none
};

struct ErrorText {
    std::string message;
    std::string detail;
    std::string hint;
};

// The ERROR (or WARNING, for Decision::Warned) raised in the agent's session.
// message: "<command>[ on <objects joined by ', ', at most 5 then ' and N more'>]" followed by
//   - " <reason>" when reason starts with "would " (DML: "DELETE on public.users would change more than 1000 rows"),
//   - otherwise " is blocked: <reason>" ("DROP TABLE on public.users is blocked: destructive DDL needs an approval");
//   for Decision::Warned the words "is blocked" become "would be blocked"; a "would ..." reason is kept as is.
// detail (blocked): "Nothing was changed." then, with request_id > 0, " Request id: 42."; self-protection:
//   "Nothing was changed. Agents may not alter pg_agentguard itself."; read_only: no request id sentence.
// detail (warned): "agentguard.mode is warn, so the statement runs." plus " Rows changed: N." when rows_affected >= 0.
// hint (blocked, approvable, extension present, request_id > 0):
//   "An approver can run in database \"app\": SELECT agentguard.approve(42); then run the same statement
//    again as BEGIN; SET LOCAL agentguard.token = '<token>'; <statement>; COMMIT; Do not rephrase the statement
//    to get around the guard." (the form that is safe behind transaction-pooling connection poolers)
// hint (read_only, i.e. a standby): "This server is a standby: nothing can change here, and no approval can
//   help. Run the statement on the primary. Do not rephrase the statement to get around the guard."
// hint (self-protection): "No approval can allow this. Do not try to get around the guard; ask a human instead."
// hint (extension missing): "pg_agentguard is not installed in database \"x\", so this cannot be approved here;
//   a DBA can run CREATE EXTENSION pg_agentguard. Do not rephrase the statement to get around the guard."
// hint (no request id otherwise): "Ask a human to approve it with agentguard.grant_token(). Do not rephrase the
//   statement to get around the guard."
// hint (warned): empty. The hints are tried in this order: self-protection, standby, extension
//   missing, request id, otherwise grant_token.
// Decision::Approved (no error is raised; for a NOTICE or the log): message "<command>[ on <objects>] is allowed
//   by token 7" ("... by an approval" when token_id is 0), empty detail and hint.
// An empty command reads "statement"; an empty reason leaves the message at "... is blocked".
// With agent_code (blocked or warned): the message starts "agent code stopped (<agent_code>): " and a
// blocked hint ends " Or remove that code, or make a role that is not an agent its owner."
ErrorText error_text(const Event& ev);

// One line for the server log: "pg_agentguard: decision=blocked request=42 database=... " with
// every field, values quoted with JSON escaping. Never contains a newline. Field order: decision request
// token database session_role current_role application_name client_addr backend_pid command
// objects (a JSON array) rows_affected approvable extension_present read_only reason statement.
std::string log_line(const Event& ev);

// JSON object for NOTIFY agentguard: {"id":42,"agent":"ai_bot","database":"app","command":"DROP TABLE",
// "reason":"..."}; at most 7900 bytes (NOTIFY's payload limit is 8000): the reason is cut first.
// id is request_id; agent is session_role (current_role when that is empty). Cut texts end in "...";
// agent, database and command are capped at 1024 escaped bytes each, which real names never reach.
std::string notify_payload(const Event& ev);

}  // namespace agentguard
