// Statement text handling: normalisation, password redaction, truncation, JSON escaping.
// See text.hpp for the contract. Token boundaries come from sql_lexer, which follows the server.
#include "core/text.hpp"

#include "core/sql_lexer.hpp"

namespace agentguard {

using detail::Lexer;
using detail::Token;
using detail::TokenKind;

namespace {

bool is_word_byte(unsigned char c)
{
    return detail::is_ident_cont(c);
}

// What normalisation needs to remember about the last token it wrote.
struct Prev {
    TokenKind kind = TokenKind::Punct;
    unsigned char last = 0;
    unsigned char single = 0;  // the identifier's only byte when it is one byte long, else 0
};

bool is_one_of(unsigned char c, const char* set)
{
    for (; *set != '\0'; ++set)
        if (c == static_cast<unsigned char>(*set))
            return true;
    return false;
}

// True when dropping the white space between prev and a token starting with b would make the server
// read other tokens. Keeping a space too often only costs a missed match; too rarely, a false one.
bool needs_space(const Prev& prev, unsigned char b)
{
    const unsigned char a = prev.last;
    if (is_word_byte(a) && is_word_byte(b))
        return true;
    if (detail::is_op_char(a) && detail::is_op_char(b))
        return true;
    if (prev.kind == TokenKind::Number && (b == '.' || is_word_byte(b)))
        return true;  // "1 .5", "1. e5"
    if (a == '.' && (b == '.' || detail::is_digit(b)))
        return true;  // ". .", ". 5"
    if (a == ':' && (b == ':' || b == '='))
        return true;  // ": :", ": ="
    if (b == '\'' || b == '"') {
        if (a == b || a == '&')
            return true;  // 'a' 'b' is not 'a''b'; U& 'x' is not U&'x'
        if (b == '\'' && prev.kind == TokenKind::Ident && is_one_of(prev.single, "eEbBxXnN"))
            return true;  // E 'x' is not E'x'
    }
    return b == '&' && prev.kind == TokenKind::Ident && is_one_of(prev.single, "uU");
}

std::string_view token_text(std::string_view sql, const Token& t)
{
    return sql.substr(t.begin, t.end - t.begin);
}

bool equals_ci(std::string_view a, std::string_view lower)
{
    if (a.size() != lower.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(a[i]);
        if (c >= 'A' && c <= 'Z')
            c = static_cast<unsigned char>(c + ('a' - 'A'));
        if (c != static_cast<unsigned char>(lower[i]))
            return false;
    }
    return true;
}

bool is_password_keyword(std::string_view sql, const Token& t)
{
    const std::string_view text = token_text(sql, t);
    if (t.kind == TokenKind::Ident)
        return equals_ci(text, "password");
    // Quoted identifiers keep their case: only "password" names the option.
    return t.kind == TokenKind::QuotedIdent && text == "\"password\"";
}

bool is_literal(const Token& t)
{
    return t.kind == TokenKind::String || t.kind == TokenKind::DollarString;
}

// Dollar-quoted bodies nest only with distinct tags; the cap bounds both recursion and work.
constexpr int kMaxRedactDepth = 8;
constexpr std::string_view kRedacted = "'********'";

std::string redact_impl(std::string_view sql, const LexOptions& options, int depth);

class Redactor {
public:
    Redactor(std::string_view sql, const LexOptions& options, int depth)
        : sql_(sql), options_(options), depth_(depth)
    {
    }

    std::string run()
    {
        Lexer lexer(sql_, options_);
        Token t;
        while (lexer.next(&t))
            step(t);
        out_.append(sql_.substr(copied_));
        return std::move(out_);
    }

private:
    enum class State { Idle, AfterKeyword, AfterEquals, Swallowing };

    void copy_until(std::size_t pos)
    {
        out_.append(sql_.substr(copied_, pos - copied_));
        copied_ = pos;
    }

    void step(const Token& t)
    {
        if (detail::is_separator(t))
            return;
        if (state_ == State::Swallowing) {
            // The server joins these parts into the one literal that was just replaced.
            if (t.kind == TokenKind::String && t.is_continuation) {
                copied_ = t.end;
                if (!t.continues)
                    state_ = State::Idle;
                return;
            }
            state_ = State::Idle;
        }
        if ((state_ == State::AfterKeyword || state_ == State::AfterEquals) && is_literal(t)) {
            copy_until(t.begin);
            out_.append(kRedacted);
            copied_ = t.end;
            state_ = t.kind == TokenKind::String && t.continues ? State::Swallowing : State::Idle;
            return;
        }
        if (state_ == State::AfterKeyword && t.kind == TokenKind::Operator &&
            token_text(sql_, t) == "=") {
            state_ = State::AfterEquals;
            return;
        }
        if (is_password_keyword(sql_, t)) {
            state_ = State::AfterKeyword;
            return;
        }
        state_ = State::Idle;
        if (t.kind == TokenKind::DollarString && t.terminated && depth_ < kMaxRedactDepth)
            redact_body(t);
    }

    void redact_body(const Token& t)
    {
        const std::string_view body = sql_.substr(t.body_begin, t.body_end - t.body_begin);
        std::string redacted = redact_impl(body, options_, depth_ + 1);
        if (redacted == body)
            return;
        copy_until(t.body_begin);
        out_.append(redacted);
        copied_ = t.body_end;
    }

    std::string_view sql_;
    LexOptions options_;
    int depth_;
    std::string out_;
    std::size_t copied_ = 0;
    State state_ = State::Idle;
};

std::string redact_impl(std::string_view sql, const LexOptions& options, int depth)
{
    return Redactor(sql, options, depth).run();
}

// The length a UTF-8 lead byte announces; 1 for anything else.
std::size_t utf8_declared_length(unsigned char c)
{
    if (c >= 0xC0 && c < 0xE0)
        return 2;
    if (c >= 0xE0 && c < 0xF0)
        return 3;
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    return 1;
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 when the byte there does not start one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i)
{
    const auto byte = [&](std::size_t k) -> unsigned char {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    const auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
        const unsigned char c = byte(k);
        return i + k < s.size() && c >= lo && c <= hi;
    };
    const unsigned char c = byte(0);
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return cont(1, 0x80, 0xBF) ? 2 : 0;
    if (c < 0xF0) {
        // E0 excludes overlong forms, ED excludes UTF-16 surrogates.
        const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
        const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c < 0xF5) {
        // F0 excludes overlong forms, F4 caps the range at U+10FFFF.
        const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

// Appends the escape of the character at s[i]; returns the index after it.
std::size_t append_json_unit(std::string_view s, std::size_t i, std::string* out)
{
    static const char kHex[] = "0123456789abcdef";
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
        return i + 1;
    }
    if (c < 0x20) {
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0x0F]);
        return i + 1;
    }
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
        out->append("\\ufffd");
        return i + 1;
    }
    out->append(s.substr(i, len));
    return i + len;
}

}  // namespace

std::string normalize_statement(std::string_view sql)
{
    return normalize_statement(sql, LexOptions{});
}

std::string normalize_statement(std::string_view sql, const LexOptions& options)
{
    Lexer lexer(sql, options);
    Token t;
    std::string out;
    out.reserve(sql.size());
    std::size_t keep = 0;  // out's length without trailing top-level semicolons
    bool separated = false;
    Prev prev;
    while (lexer.next(&t)) {
        if (detail::is_separator(t)) {
            separated = true;
            continue;
        }
        const std::string_view text = token_text(sql, t);
        if (!out.empty()) {
            if (t.is_continuation)
                out.push_back('\n');  // keeps the server joining the two parts
            else if (separated && needs_space(prev, static_cast<unsigned char>(text.front())))
                out.push_back(' ');
        }
        out.append(text);
        separated = false;
        prev.kind = t.kind;
        prev.last = static_cast<unsigned char>(text.back());
        prev.single = t.kind == TokenKind::Ident && text.size() == 1 ? prev.last : 0;
        if (!(t.kind == TokenKind::Punct && text == ";"))
            keep = out.size();
    }
    out.resize(keep);
    return out;
}

std::string redact_passwords(std::string_view sql)
{
    return redact_passwords(sql, LexOptions{});
}

std::string redact_passwords(std::string_view sql, const LexOptions& options)
{
    return redact_impl(sql, options, 0);
}

std::string truncate_utf8(std::string_view s, std::size_t max_bytes)
{
    if (s.size() <= max_bytes)
        return std::string(s);
    std::size_t cut = max_bytes;
    // s[cut] exists. If a lead byte before it announces a sequence reaching past cut, cut before the
    // lead byte. Stray continuation bytes are not a sequence and do not move the cut.
    std::size_t start = cut;
    while (start > 0 && cut - start < 3 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
        --start;
    if (start < cut && utf8_declared_length(static_cast<unsigned char>(s[start])) > cut - start)
        cut = start;
    std::string out(s.substr(0, cut));
    out.append("...");
    return out;
}

std::string json_escape(std::string_view s)
{
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (std::size_t i = 0; i < s.size();)
        i = append_json_unit(s, i, &out);
    return out;
}

std::string json_escape_truncated(std::string_view s, std::size_t max_out)
{
    constexpr std::string_view kEllipsis = "...";
    const std::size_t soft = max_out >= kEllipsis.size() ? max_out - kEllipsis.size() : 0;
    std::string out;
    std::size_t fits = 0;  // the longest whole-unit prefix of out that leaves room for "..."
    for (std::size_t i = 0; i < s.size();) {
        if (out.size() <= soft)
            fits = out.size();
        i = append_json_unit(s, i, &out);
        if (out.size() > max_out) {
            if (max_out < kEllipsis.size())
                return std::string();
            out.resize(fits);
            out.append(kEllipsis);
            return out;
        }
    }
    return out;
}

std::string to_hex(const unsigned char* data, std::size_t n)
{
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    if (data == nullptr)
        return out;
    out.resize(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kHex[data[i] >> 4];
        out[2 * i + 1] = kHex[data[i] & 0x0F];
    }
    return out;
}

}  // namespace agentguard
