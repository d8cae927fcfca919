// Texts made from an intercept event: the agent's error, the server log line, the NOTIFY payload.
// See event.hpp for the contract; the exact wording there is what agents and scripts match on.
#include "core/event.hpp"

#include "core/text.hpp"

namespace agentguard {

namespace {

constexpr std::size_t kMaxListedObjects = 5;
constexpr std::size_t kMaxNotifyBytes = 7900;
// Names are at most 63 bytes in PostgreSQL; this cap only matters for nonsense input, and it leaves
// the reason at least 4600 bytes of the payload.
constexpr std::size_t kMaxNotifyNameBytes = 1024;

constexpr const char* kDoNotRephrase = "Do not rephrase the statement to get around the guard.";

bool is_would_reason(const std::string& reason)
{
    return reason.compare(0, 6, "would ") == 0;
}

// "<command>[ on a, b, c, d, e and 2 more]"
std::string target_text(const Event& ev)
{
    std::string out = ev.command.empty() ? std::string("statement") : ev.command;
    if (ev.objects.empty())
        return out;
    out.append(" on ");
    const std::size_t listed = ev.objects.size() < kMaxListedObjects ? ev.objects.size() : kMaxListedObjects;
    for (std::size_t i = 0; i < listed; ++i) {
        if (i > 0)
            out.append(", ");
        out.append(ev.objects[i]);
    }
    if (ev.objects.size() > listed)
        out.append(" and " + std::to_string(ev.objects.size() - listed) + " more");
    return out;
}

std::string message_text(const Event& ev)
{
    std::string out = target_text(ev);
    if (ev.decision == Decision::Approved) {
        if (ev.token_id > 0)
            return out + " is allowed by token " + std::to_string(ev.token_id);
        return out + " is allowed by an approval";
    }
    if (is_would_reason(ev.reason))
        return out + " " + ev.reason;
    out.append(ev.decision == Decision::Warned ? " would be blocked" : " is blocked");
    if (!ev.reason.empty())
        out.append(": " + ev.reason);
    return out;
}

std::string detail_text(const Event& ev)
{
    if (ev.decision == Decision::Approved)
        return std::string();
    if (ev.decision == Decision::Warned) {
        std::string out = "agentguard.mode is warn, so the statement runs.";
        if (ev.rows_affected >= 0)
            out.append(" Rows changed: " + std::to_string(ev.rows_affected) + ".");
        return out;
    }
    if (!ev.approvable)
        return "Nothing was changed. Agents may not alter pg_agentguard itself.";
    std::string out = "Nothing was changed.";
    if (ev.request_id > 0 && !ev.read_only)
        out.append(" Request id: " + std::to_string(ev.request_id) + ".");
    return out;
}

std::string hint_text(const Event& ev)
{
    if (ev.decision != Decision::Blocked)
        return std::string();
    if (!ev.approvable)
        return "No approval can allow this. Do not try to get around the guard; ask a human instead.";
    if (ev.read_only)
        return "This server is a standby: nothing can change here, and no approval can help. Run the "
               "statement on the primary. " + std::string(kDoNotRephrase);
    if (!ev.extension_present)
        return "pg_agentguard is not installed in database \"" + ev.database +
               "\", so this cannot be approved here; a DBA can run CREATE EXTENSION pg_agentguard. " +
               kDoNotRephrase;
    if (ev.request_id > 0)
        return "An approver can run in database \"" + ev.database + "\": SELECT agentguard.approve(" +
               std::to_string(ev.request_id) +
               "); then run the same statement again as BEGIN; SET LOCAL agentguard.token = '<token>'; <statement>; "
               "COMMIT; " +
               kDoNotRephrase;
    return std::string("Ask a human to approve it with agentguard.grant_token(). ") + kDoNotRephrase;
}

void append_quoted(std::string* out, std::string_view value)
{
    out->push_back('"');
    out->append(json_escape(value));
    out->push_back('"');
}

void append_field(std::string* out, const char* name, std::string_view value)
{
    out->push_back(' ');
    out->append(name);
    out->push_back('=');
    append_quoted(out, value);
}

void append_number(std::string* out, const char* name, int64_t value)
{
    out->push_back(' ');
    out->append(name);
    out->push_back('=');
    out->append(std::to_string(value));
}

void append_bool(std::string* out, const char* name, bool value)
{
    out->push_back(' ');
    out->append(name);
    out->push_back('=');
    out->append(value ? "true" : "false");
}

void append_objects(std::string* out, const std::vector<std::string>& objects)
{
    out->append(" objects=[");
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (i > 0)
            out->push_back(',');
        append_quoted(out, objects[i]);
    }
    out->push_back(']');
}

}  // namespace

const char* decision_name(Decision d)
{
    switch (d) {
    case Decision::Blocked:
        return "blocked";
    case Decision::Approved:
        return "approved";
    case Decision::Warned:
        return "warned";
    case Decision::Breaker:
        return "breaker";
    case Decision::Previewed:
        return "previewed";
    }
    return "unknown";
}

ErrorText error_text(const Event& ev)
{
    ErrorText out;
    out.message = message_text(ev);
    out.detail = detail_text(ev);
    out.hint = hint_text(ev);
    if (!ev.agent_code.empty() && ev.decision != Decision::Approved) {
        out.message = "agent code stopped (" + ev.agent_code + "): " + out.message;
        if (ev.decision == Decision::Blocked)
            out.hint += std::string(out.hint.empty() ? "" : " ") +
                        "Or remove that code, or make a role that is not an agent its owner.";
    }
    return out;
}

std::string log_line(const Event& ev)
{
    // Every value is either a number, a boolean or JSON-escaped text in quotes, so control
    // characters in names or statements cannot split the line or forge another field.
    std::string out = "pg_agentguard: decision=";
    out.append(decision_name(ev.decision));
    append_number(&out, "request", ev.request_id);
    append_number(&out, "token", ev.token_id);
    append_field(&out, "database", ev.database);
    append_field(&out, "session_role", ev.session_role);
    append_field(&out, "current_role", ev.current_role);
    append_field(&out, "application_name", ev.application_name);
    append_field(&out, "client_addr", ev.client_addr);
    append_number(&out, "backend_pid", ev.backend_pid);
    append_field(&out, "command", ev.command);
    append_objects(&out, ev.objects);
    append_number(&out, "rows_affected", ev.rows_affected);
    append_bool(&out, "approvable", ev.approvable);
    append_bool(&out, "extension_present", ev.extension_present);
    append_bool(&out, "read_only", ev.read_only);
    append_field(&out, "reason", ev.reason);
    append_field(&out, "statement", ev.statement);
    return out;
}

std::string notify_payload(const Event& ev)
{
    const std::string& agent = ev.session_role.empty() ? ev.current_role : ev.session_role;
    std::string out = "{\"id\":" + std::to_string(ev.request_id);
    out.append(",\"agent\":\"" + json_escape_truncated(agent, kMaxNotifyNameBytes));
    out.append("\",\"database\":\"" + json_escape_truncated(ev.database, kMaxNotifyNameBytes));
    out.append("\",\"command\":\"" + json_escape_truncated(ev.command, kMaxNotifyNameBytes));
    out.append("\",\"reason\":\"");
    constexpr std::size_t kClosing = 2;  // "}
    const std::size_t room = kMaxNotifyBytes - out.size() - kClosing;
    out.append(json_escape_truncated(ev.reason, room));
    out.append("\"}");
    return out;
}

}  // namespace agentguard
