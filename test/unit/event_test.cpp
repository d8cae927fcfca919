// error_text, log_line, notify_payload, decision_name: the exact texts agents and scripts read.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/event.hpp"

namespace agentguard {
namespace {

const std::string kDoNotRephrase = "Do not rephrase the statement to get around the guard.";

Event blocked_drop()
{
    Event ev;
    ev.database = "app";
    ev.session_role = "ai_bot";
    ev.current_role = "ai_bot";
    ev.application_name = "psql";
    ev.client_addr = "";
    ev.backend_pid = 4242;
    ev.command = "DROP TABLE";
    ev.statement = "DROP TABLE users";
    ev.objects = {"public.users"};
    ev.decision = Decision::Blocked;
    ev.reason = "destructive DDL needs an approval";
    ev.request_id = 42;
    return ev;
}

Event blocked_delete()
{
    Event ev = blocked_drop();
    ev.command = "DELETE";
    ev.statement = "DELETE FROM users WHERE id > 0";
    ev.reason = "would change more than 1000 rows";
    ev.rows_affected = 1001;
    return ev;
}

TEST(DecisionName, AllValues)
{
    EXPECT_STREQ(decision_name(Decision::Blocked), "blocked");
    EXPECT_STREQ(decision_name(Decision::Approved), "approved");
    EXPECT_STREQ(decision_name(Decision::Warned), "warned");
    EXPECT_STREQ(decision_name(static_cast<Decision>(7)), "unknown");
}

TEST(ErrorText, BlockedDdlWithRequestId)
{
    const ErrorText et = error_text(blocked_drop());
    EXPECT_EQ(et.message, "DROP TABLE on public.users is blocked: destructive DDL needs an approval");
    EXPECT_EQ(et.detail, "Nothing was changed. Request id: 42.");
    EXPECT_EQ(et.hint,
              "An approver can run: SELECT agentguard.approve(42); then run the same statement again after "
              "SET agentguard.token = '<token>'. Do not rephrase the statement to get around the guard.");
}

TEST(ErrorText, BlockedDmlWouldReason)
{
    const ErrorText et = error_text(blocked_delete());
    EXPECT_EQ(et.message, "DELETE on public.users would change more than 1000 rows");
    EXPECT_EQ(et.detail, "Nothing was changed. Request id: 42.");
    EXPECT_EQ(et.hint,
              "An approver can run: SELECT agentguard.approve(42); then run the same statement again after "
              "SET agentguard.token = '<token>'. " + kDoNotRephrase);
}

TEST(ErrorText, WarnedDdl)
{
    Event ev = blocked_drop();
    ev.decision = Decision::Warned;
    ev.request_id = 0;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.message, "DROP TABLE on public.users would be blocked: destructive DDL needs an approval");
    EXPECT_EQ(et.detail, "agentguard.mode is warn, so the statement runs.");
    EXPECT_EQ(et.hint, "");
}

TEST(ErrorText, WarnedDmlKeepsWouldReasonAndCountsRows)
{
    Event ev = blocked_delete();
    ev.decision = Decision::Warned;
    ev.rows_affected = 1500;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.message, "DELETE on public.users would change more than 1000 rows");
    EXPECT_EQ(et.detail, "agentguard.mode is warn, so the statement runs. Rows changed: 1500.");
    EXPECT_EQ(et.hint, "");

    ev.rows_affected = 0;
    EXPECT_EQ(error_text(ev).detail, "agentguard.mode is warn, so the statement runs. Rows changed: 0.");
}

TEST(ErrorText, ApprovedNamesTheToken)
{
    Event ev = blocked_drop();
    ev.decision = Decision::Approved;
    ev.token_id = 7;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.message, "DROP TABLE on public.users is allowed by token 7");
    EXPECT_EQ(et.detail, "");
    EXPECT_EQ(et.hint, "");
    ev.token_id = 0;
    EXPECT_EQ(error_text(ev).message, "DROP TABLE on public.users is allowed by an approval");
}

TEST(ErrorText, SelfProtection)
{
    Event ev = blocked_drop();
    ev.command = "ALTER SYSTEM";
    ev.objects.clear();
    ev.reason = "agents may not change the server configuration";
    ev.approvable = false;
    ev.request_id = 0;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.message, "ALTER SYSTEM is blocked: agents may not change the server configuration");
    EXPECT_EQ(et.detail, "Nothing was changed. Agents may not alter pg_agentguard itself.");
    EXPECT_EQ(et.hint, "No approval can allow this. Do not try to get around the guard; ask a human instead.");
}

TEST(ErrorText, SelfProtectionWinsOverEverythingElse)
{
    Event ev = blocked_drop();
    ev.approvable = false;
    ev.extension_present = false;
    ev.read_only = true;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.detail, "Nothing was changed. Agents may not alter pg_agentguard itself.");
    EXPECT_EQ(et.hint, "No approval can allow this. Do not try to get around the guard; ask a human instead.");
}

TEST(ErrorText, ExtensionMissing)
{
    Event ev = blocked_drop();
    ev.extension_present = false;
    ev.request_id = 0;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.message, "DROP TABLE on public.users is blocked: destructive DDL needs an approval");
    EXPECT_EQ(et.detail, "Nothing was changed.");
    EXPECT_EQ(et.hint,
              "pg_agentguard is not installed in database \"app\", so this cannot be approved here; "
              "a DBA can run CREATE EXTENSION pg_agentguard. Do not rephrase the statement to get around the guard.");
}

TEST(ErrorText, ReadOnlyTransactionHasNoRequestId)
{
    Event ev = blocked_drop();
    ev.read_only = true;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.detail, "Nothing was changed.");
    EXPECT_EQ(et.hint,
              "Ask a human to approve it with agentguard.grant_token(). Do not rephrase the statement to get "
              "around the guard.");
}

TEST(ErrorText, NoRequestId)
{
    Event ev = blocked_drop();
    ev.request_id = 0;
    const ErrorText et = error_text(ev);
    EXPECT_EQ(et.detail, "Nothing was changed.");
    EXPECT_EQ(et.hint, "Ask a human to approve it with agentguard.grant_token(). " + kDoNotRephrase);
}

TEST(ErrorText, ObjectListCappedAtFive)
{
    Event ev = blocked_drop();
    ev.command = "TRUNCATE TABLE";
    ev.objects = {"s.a", "s.b", "s.c", "s.d", "s.e"};
    EXPECT_EQ(error_text(ev).message,
              "TRUNCATE TABLE on s.a, s.b, s.c, s.d, s.e is blocked: destructive DDL needs an approval");
    ev.objects.push_back("s.f");
    EXPECT_EQ(error_text(ev).message,
              "TRUNCATE TABLE on s.a, s.b, s.c, s.d, s.e and 1 more is blocked: destructive DDL needs an approval");
    ev.objects.push_back("s.g");
    EXPECT_EQ(error_text(ev).message,
              "TRUNCATE TABLE on s.a, s.b, s.c, s.d, s.e and 2 more is blocked: destructive DDL needs an approval");
    ev.objects = {"s.a", "s.b"};
    EXPECT_EQ(error_text(ev).message, "TRUNCATE TABLE on s.a, s.b is blocked: destructive DDL needs an approval");
    ev.objects.clear();
    EXPECT_EQ(error_text(ev).message, "TRUNCATE TABLE is blocked: destructive DDL needs an approval");
}

TEST(ErrorText, EmptyReasonAndCommand)
{
    Event ev = blocked_drop();
    ev.reason.clear();
    EXPECT_EQ(error_text(ev).message, "DROP TABLE on public.users is blocked");
    ev.command.clear();
    ev.objects.clear();
    EXPECT_EQ(error_text(ev).message, "statement is blocked");
}

TEST(LogLine, AllFields)
{
    Event ev = blocked_drop();
    ev.objects = {"public.users", "public.\"odd\""};
    EXPECT_EQ(log_line(ev),
              "pg_agentguard: decision=blocked request=42 token=0 database=\"app\" session_role=\"ai_bot\" "
              "current_role=\"ai_bot\" application_name=\"psql\" client_addr=\"\" backend_pid=4242 "
              "command=\"DROP TABLE\" objects=[\"public.users\",\"public.\\\"odd\\\"\"] rows_affected=-1 "
              "approvable=true extension_present=true read_only=false "
              "reason=\"destructive DDL needs an approval\" statement=\"DROP TABLE users\"");
}

TEST(LogLine, WarnedAndApproved)
{
    Event ev = blocked_delete();
    ev.decision = Decision::Warned;
    ev.request_id = 0;
    ev.objects.clear();
    ev.client_addr = "10.0.0.7";
    ev.read_only = true;
    EXPECT_EQ(log_line(ev),
              "pg_agentguard: decision=warned request=0 token=0 database=\"app\" session_role=\"ai_bot\" "
              "current_role=\"ai_bot\" application_name=\"psql\" client_addr=\"10.0.0.7\" backend_pid=4242 "
              "command=\"DELETE\" objects=[] rows_affected=1001 approvable=true extension_present=true "
              "read_only=true reason=\"would change more than 1000 rows\" "
              "statement=\"DELETE FROM users WHERE id > 0\"");
    ev.decision = Decision::Approved;
    ev.token_id = 9;
    EXPECT_EQ(log_line(ev).substr(0, 49), "pg_agentguard: decision=approved request=0 token=");
}

TEST(LogLine, NeverContainsANewline)
{
    Event ev = blocked_drop();
    ev.statement = "DROP TABLE\nusers\r\n-- bye\n";
    ev.application_name = "evil\ndecision=approved";
    ev.reason = "line\none";
    ev.objects = {"a\nb"};
    const std::string line = log_line(ev);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\r'), std::string::npos);
    EXPECT_NE(line.find("statement=\"DROP TABLE\\u000ausers\\u000d\\u000a-- bye\\u000a\""), std::string::npos);
    EXPECT_NE(line.find("application_name=\"evil\\u000adecision=approved\""), std::string::npos);
}

// A small strict JSON checker for the payload: one object of string and integer members, strings
// with valid escapes and valid UTF-8 (which json_escape guarantees).
class JsonChecker {
public:
    explicit JsonChecker(const std::string& s) : s_(s) {}

    bool object()
    {
        if (!eat('{'))
            return false;
        if (eat('}'))
            return done();
        do {
            if (!string() || !eat(':') || !(string() || integer()))
                return false;
        } while (eat(','));
        return eat('}') && done();
    }

private:
    bool done() const { return i_ == s_.size(); }
    bool eat(char c)
    {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool integer()
    {
        const std::size_t start = i_;
        eat('-');
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
            ++i_;
        return i_ > start;
    }
    bool string()
    {
        if (!eat('"'))
            return false;
        while (i_ < s_.size()) {
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (!escape())
                    return false;
            } else if (!utf8()) {
                return false;
            }
        }
        return false;
    }
    bool escape()
    {
        ++i_;
        if (i_ >= s_.size())
            return false;
        const char c = s_[i_++];
        if (c != 'u')
            return std::string("\"\\/bfnrt").find(c) != std::string::npos;
        for (int k = 0; k < 4; ++k, ++i_)
            if (i_ >= s_.size() || !isxdigit(static_cast<unsigned char>(s_[i_])))
                return false;
        return true;
    }
    bool utf8()
    {
        const unsigned char c = static_cast<unsigned char>(s_[i_]);
        const int len = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
        if (len == 0 || i_ + len > s_.size())
            return false;
        for (int k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s_[i_ + k]) & 0xC0) != 0x80)
                return false;
        i_ += len;
        return true;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

bool valid_json_object(const std::string& s)
{
    return JsonChecker(s).object();
}

TEST(JsonChecker, RejectsBrokenPayloads)
{
    EXPECT_TRUE(valid_json_object("{\"a\":1,\"b\":\"x\\u00e9\"}"));
    EXPECT_FALSE(valid_json_object("{\"a\":1,}"));
    EXPECT_FALSE(valid_json_object("{\"a\":\"\\u00\"}"));
    EXPECT_FALSE(valid_json_object("{\"a\":\"\n\"}"));
    EXPECT_FALSE(valid_json_object("{\"a\":\"\xff\"}"));
    EXPECT_FALSE(valid_json_object("{\"a\":\"x\"} "));
}

TEST(NotifyPayload, ExactShape)
{
    const std::string payload = notify_payload(blocked_drop());
    EXPECT_EQ(payload,
              "{\"id\":42,\"agent\":\"ai_bot\",\"database\":\"app\",\"command\":\"DROP TABLE\","
              "\"reason\":\"destructive DDL needs an approval\"}");
    EXPECT_TRUE(valid_json_object(payload));
}

TEST(NotifyPayload, AgentIsTheSessionRoleElseTheCurrentRole)
{
    Event ev = blocked_drop();
    ev.session_role = "login_bot";
    ev.current_role = "set_role";
    EXPECT_NE(notify_payload(ev).find("\"agent\":\"login_bot\""), std::string::npos);
    ev.session_role.clear();
    EXPECT_NE(notify_payload(ev).find("\"agent\":\"set_role\""), std::string::npos);
}

TEST(NotifyPayload, EscapesEveryField)
{
    Event ev = blocked_drop();
    ev.database = "a\"b";
    ev.reason = "x\ny\xff";
    const std::string payload = notify_payload(ev);
    EXPECT_EQ(payload,
              "{\"id\":42,\"agent\":\"ai_bot\",\"database\":\"a\\\"b\",\"command\":\"DROP TABLE\","
              "\"reason\":\"x\\u000ay\\ufffd\"}");
    EXPECT_TRUE(valid_json_object(payload));
}

TEST(NotifyPayload, HugeReasonIsCutToTheLimit)
{
    Event ev = blocked_drop();
    ev.reason = std::string(100000, 'r');
    const std::string payload = notify_payload(ev);
    EXPECT_EQ(payload.size(), 7900u);
    EXPECT_TRUE(valid_json_object(payload));
    EXPECT_EQ(payload.substr(payload.size() - 5), "...\"}");
    const std::string head =
        "{\"id\":42,\"agent\":\"ai_bot\",\"database\":\"app\",\"command\":\"DROP TABLE\",\"reason\":\"rrr";
    EXPECT_EQ(payload.substr(0, head.size()), head);
}

TEST(NotifyPayload, HugeReasonOfEscapesAndMultibyteStaysValid)
{
    Event ev = blocked_drop();
    for (int i = 0; i < 20000; ++i)
        ev.reason += (i % 3 == 0) ? "\x01" : (i % 3 == 1) ? "\xe2\x82\xac" : "\xff";
    const std::string payload = notify_payload(ev);
    EXPECT_LE(payload.size(), 7900u);
    EXPECT_GE(payload.size(), 7890u);
    EXPECT_TRUE(valid_json_object(payload));
}

TEST(NotifyPayload, HugeNamesStillFit)
{
    Event ev = blocked_drop();
    ev.session_role = std::string(50000, 'a');
    ev.database = std::string(50000, '\n');
    ev.command = std::string(50000, '"');
    ev.reason = std::string(50000, 'r');
    ev.request_id = 9223372036854775807LL;
    const std::string payload = notify_payload(ev);
    EXPECT_LE(payload.size(), 7900u);
    EXPECT_TRUE(valid_json_object(payload));
    EXPECT_NE(payload.find("\"reason\":\"rrrr"), std::string::npos);
}

}  // namespace
}  // namespace agentguard

namespace agentguard {
namespace {

TEST(EventAgentCode, MessageNamesTheCodeAndHintHowToRemoveIt)
{
    Event e;
    e.command = "DELETE";
    e.objects = {"app.orders"};
    e.reason = "would change more than 100 rows";
    e.request_id = 7;
    e.agent_code = "function app.cleanup() owned by agent role \"bot\"";
    ErrorText t = error_text(e);
    EXPECT_EQ(t.message.rfind("agent code stopped (function app.cleanup() owned by agent role \"bot\"): DELETE on app.orders", 0), 0u)
        << t.message;
    EXPECT_NE(t.hint.find("SELECT agentguard.approve(7);"), std::string::npos) << t.hint;
    EXPECT_NE(t.hint.find("Or remove that code, or make a role that is not an agent its owner."), std::string::npos) << t.hint;
}

TEST(EventAgentCode, WithoutAgentCodeNothingChanges)
{
    Event e;
    e.command = "DELETE";
    e.reason = "would change more than 100 rows";
    ErrorText t = error_text(e);
    EXPECT_EQ(t.message.find("agent code"), std::string::npos);
    EXPECT_EQ(t.hint.find("remove that code"), std::string::npos);
}

}  // namespace
}  // namespace agentguard
