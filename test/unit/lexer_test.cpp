// The internal lexer: token boundaries, and the property normalisation rests on: the normalised
// text splits into exactly the same tokens as the original.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/sql_lexer.hpp"
#include "core/text.hpp"

namespace agentguard {

// Found by argument-dependent lookup; without it GoogleTest prints the struct's padding bytes.
void PrintTo(const LexOptions& o, std::ostream* os)
{
    *os << "scs=" << o.standard_conforming_strings << " version=" << o.server_version_num;
}

namespace {

using detail::Lexer;
using detail::Token;
using detail::TokenKind;

struct Lexeme {
    TokenKind kind;
    std::string text;
    bool operator==(const Lexeme& o) const { return kind == o.kind && text == o.text; }
};

std::ostream& operator<<(std::ostream& os, const Lexeme& l)
{
    return os << static_cast<int>(l.kind) << ":[" << l.text << "]";
}

std::vector<Lexeme> lex_all(std::string_view sql, const LexOptions& options = LexOptions{})
{
    std::vector<Lexeme> out;
    Lexer lexer(sql, options);
    Token t;
    while (lexer.next(&t))
        out.push_back({t.kind, std::string(sql.substr(t.begin, t.end - t.begin))});
    return out;
}

std::vector<Lexeme> significant(std::string_view sql, const LexOptions& options)
{
    std::vector<Lexeme> out;
    Lexer lexer(sql, options);
    Token t;
    while (lexer.next(&t))
        if (!detail::is_separator(t))
            out.push_back({t.kind, std::string(sql.substr(t.begin, t.end - t.begin))});
    return out;
}

TEST(Lexer, KindsAndBoundaries)
{
    const std::vector<Lexeme> want = {
        {TokenKind::Ident, "SELECT"},      {TokenKind::Space, " "},       {TokenKind::Param, "$1"},
        {TokenKind::Punct, ","},           {TokenKind::DollarString, "$q$x$q$"},
        {TokenKind::Operator, "+"},        {TokenKind::LineComment, "-- c"},
        {TokenKind::Space, "\n"},          {TokenKind::String, "E'\\''"},
        {TokenKind::BlockComment, "/* a /* b */ */"},
        {TokenKind::Number, "1.5e3"},      {TokenKind::QuotedIdent, "\"q\"\"i\""},
        {TokenKind::Ident, "a$b"},         {TokenKind::Operator, "<>"},
        {TokenKind::QuotedIdent, "U&\"u\""}, {TokenKind::String, "b'1'"},
    };
    EXPECT_EQ(lex_all("SELECT $1,$q$x$q$+-- c\nE'\\''/* a /* b */ */1.5e3\"q\"\"i\"a$b<>U&\"u\"b'1'"), want);
}

TEST(Lexer, OperatorStopsAtCommentStart)
{
    const std::vector<Lexeme> want = {
        {TokenKind::Operator, "+"}, {TokenKind::BlockComment, "/* c */"}, {TokenKind::Operator, "*"},
    };
    EXPECT_EQ(lex_all("+/* c */*"), want);
}

TEST(Lexer, NumberDoesNotEatDotDot)
{
    const std::vector<Lexeme> want = {
        {TokenKind::Number, "1"}, {TokenKind::Punct, "."}, {TokenKind::Number, ".3"},
    };
    EXPECT_EQ(lex_all("1..3"), want);
}

TEST(Lexer, ContinuationFlags)
{
    Lexer lexer("'a'\n'b' 'c'", LexOptions{});
    Token t;
    ASSERT_TRUE(lexer.next(&t));
    EXPECT_TRUE(t.continues);
    EXPECT_FALSE(t.is_continuation);
    ASSERT_TRUE(lexer.next(&t));
    EXPECT_EQ(t.kind, TokenKind::Space);
    ASSERT_TRUE(lexer.next(&t));
    EXPECT_TRUE(t.is_continuation);
    EXPECT_FALSE(t.continues);
    ASSERT_TRUE(lexer.next(&t));
    ASSERT_TRUE(lexer.next(&t));
    EXPECT_EQ(t.kind, TokenKind::String);
    EXPECT_FALSE(t.is_continuation);
    EXPECT_FALSE(lexer.next(&t));
}

TEST(Lexer, DollarBodyBounds)
{
    const std::string sql = "x $tag$ body $tag$ y";
    Lexer lexer(sql, LexOptions{});
    Token t;
    ASSERT_TRUE(lexer.next(&t));
    ASSERT_TRUE(lexer.next(&t));
    ASSERT_TRUE(lexer.next(&t));
    EXPECT_EQ(t.kind, TokenKind::DollarString);
    EXPECT_EQ(sql.substr(t.body_begin, t.body_end - t.body_begin), " body ");
    EXPECT_TRUE(t.terminated);
}

// Deterministic pseudo-random statements built from the fragments the lexer treats specially.
class Fragments {
public:
    explicit Fragments(uint64_t seed) : state_(seed) {}

    std::string statement()
    {
        static const char* const kParts[] = {
            "'", "\"", "$", "$$", "$a$", "-", "--", "/*", "*/", "*", "/", "\\", "e", "E", "u", "U", "&",
            "b", "X", "n", "1", "0x1", "1_0", ".", "..", "_", " ", "  ", "\n", "\r", "\t", ";", ":", "=",
            "<", ">", "+", "(", ")", "a", "abc", "1e", "e5", "'a'", "E'\\''", "\x80", "\xff", "\xc3\xa9",
        };
        constexpr std::size_t kCount = sizeof kParts / sizeof kParts[0];
        std::string out;
        const std::size_t n = 1 + next() % 12;
        for (std::size_t i = 0; i < n; ++i) {
            if (next() % 40 == 0)
                out.push_back('\0');
            else
                out += kParts[next() % kCount];
        }
        return out;
    }

private:
    uint64_t next()
    {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }
    uint64_t state_;
};

class NormalizedTokens : public ::testing::TestWithParam<LexOptions> {};

TEST_P(NormalizedTokens, SameTokensAsTheOriginal)
{
    const LexOptions options = GetParam();
    Fragments gen(0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(options.server_version_num) +
                  (options.standard_conforming_strings ? 1 : 0));
    for (int i = 0; i < 20000; ++i) {
        const std::string sql = gen.statement();
        const std::string norm = normalize_statement(sql, options);
        std::vector<Lexeme> before = significant(sql, options);
        // Trailing semicolons are meant to go.
        while (!before.empty() && before.back().kind == TokenKind::Punct && before.back().text == ";")
            before.pop_back();
        ASSERT_EQ(significant(norm, options), before) << "input: [" << sql << "] normalised: [" << norm << "]";
        ASSERT_EQ(normalize_statement(norm, options), norm) << "input: [" << sql << "]";
    }
}

LexOptions options(bool scs, int version)
{
    LexOptions o;
    o.standard_conforming_strings = scs;
    o.server_version_num = version;
    return o;
}

INSTANTIATE_TEST_SUITE_P(Versions, NormalizedTokens,
                         ::testing::Values(options(true, 140000), options(true, 150000), options(false, 150000),
                                           options(true, 160000), options(false, 180000)));

}  // namespace
}  // namespace agentguard
