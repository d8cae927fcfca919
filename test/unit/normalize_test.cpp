// normalize_statement: what must compare equal (white space, comments, trailing semicolons) and what
// must not (anything the server would read as other tokens or other literal values).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/text.hpp"

namespace agentguard {
namespace {

std::string N(std::string_view sql)
{
    return normalize_statement(sql);
}

std::string N(std::string_view sql, bool scs, int version)
{
    LexOptions options;
    options.standard_conforming_strings = scs;
    options.server_version_num = version;
    return normalize_statement(sql, options);
}

TEST(Normalize, CollapsesWhiteSpaceBetweenWords)
{
    EXPECT_EQ(N("  DROP   TABLE\tpublic.users \n"), "DROP TABLE public.users");
    EXPECT_EQ(N("DROP\r\n\f\vTABLE users"), "DROP TABLE users");
}

TEST(Normalize, RemovesWhiteSpaceAroundPunctuationAndOperators)
{
    EXPECT_EQ(N("DELETE FROM t WHERE id = 1 AND ( a , b ) < ( 1 , 2 )"),
              "DELETE FROM t WHERE id=1 AND(a,b)<(1,2)");
    EXPECT_EQ(N("SELECT *\nFROM t"), "SELECT*FROM t");
    EXPECT_EQ(N("SELECT x :: int"), "SELECT x::int");
    EXPECT_EQ(N("SELECT t . c, a [1 : 2]"), "SELECT t.c,a[1:2]");
}

TEST(Normalize, KeepsCase)
{
    EXPECT_EQ(N("drop table Users"), "drop table Users");
    EXPECT_NE(N("DROP TABLE users"), N("drop table users"));
}

TEST(Normalize, EmptyInputs)
{
    EXPECT_EQ(N(""), "");
    EXPECT_EQ(N("   \n\t "), "");
    EXPECT_EQ(N(";"), "");
    EXPECT_EQ(N(" ; ; "), "");
    EXPECT_EQ(N("-- nothing but a comment"), "");
    EXPECT_EQ(N("/* nothing */ ; -- at all"), "");
}

TEST(Normalize, TrailingSemicolons)
{
    const std::string want = "DROP TABLE users";
    EXPECT_EQ(N("DROP TABLE users;"), want);
    EXPECT_EQ(N("DROP TABLE users ; ; "), want);
    EXPECT_EQ(N("DROP TABLE users;;;"), want);
    EXPECT_EQ(N("DROP TABLE users; -- done\n ; /* really */ ;\n"), want);
}

TEST(Normalize, InnerSemicolonsStay)
{
    EXPECT_EQ(N("SELECT 1; SELECT 2;"), "SELECT 1;SELECT 2");
    EXPECT_EQ(N("; SELECT 1"), ";SELECT 1");
    EXPECT_NE(N("DROP TABLE a; DROP TABLE b"), N("DROP TABLE a"));
}

TEST(Normalize, SemicolonInsideLiteralIsNotTrimmed)
{
    EXPECT_EQ(N("SELECT ';'"), "SELECT';'");
    EXPECT_EQ(N("SELECT 'open;"), "SELECT'open;");
    EXPECT_EQ(N("SELECT $$a;$$;"), "SELECT $$a;$$");
}

TEST(Normalize, CommentsOutsideLiteralsDoNotMatter)
{
    const std::string want = "DELETE FROM t WHERE id=1";
    EXPECT_EQ(N("DELETE FROM t -- old rows\nWHERE id = 1"), want);
    EXPECT_EQ(N("DELETE/* x */FROM t WHERE/**/id=1"), want);
    EXPECT_EQ(N("DELETE FROM t WHERE id=1 -- trailing"), want);
    EXPECT_EQ(N("DELETE FROM t WHERE id=1 -- a\r-- b\n"), want);
}

TEST(Normalize, NestedBlockComments)
{
    EXPECT_EQ(N("SELECT /* a /* b */ still inside */ 1"), "SELECT 1");
    EXPECT_EQ(N("SELECT /* a /* b */ 1 */ 2"), "SELECT 2");
    EXPECT_EQ(N("SELECT /*/ 1 */ 2"), "SELECT 2");
    EXPECT_EQ(N("SELECT /**/1"), "SELECT 1");
    EXPECT_EQ(N("SELECT 1 /* a **/ + 2"), "SELECT 1+2");
}

TEST(Normalize, UnterminatedCommentKeptVerbatim)
{
    EXPECT_EQ(N("SELECT 1 /* open   comment"), "SELECT 1/* open   comment");
    EXPECT_EQ(N("SELECT 1 /* a /* b */   still open"), "SELECT 1/* a /* b */   still open");
}

TEST(Normalize, WhiteSpaceInsideStringLiteralsMatters)
{
    EXPECT_EQ(N("UPDATE t SET a = 'x  y' WHERE b = 'z'"), "UPDATE t SET a='x  y'WHERE b='z'");
    EXPECT_NE(N("SELECT 'a  b'"), N("SELECT 'a b'"));
    EXPECT_EQ(N("SELECT '-- not a comment /* nor this */'"), "SELECT'-- not a comment /* nor this */'");
    EXPECT_EQ(N("SELECT 'it''s  here' ,  1"), "SELECT'it''s  here',1");
}

TEST(Normalize, QuotedIdentifiersKeptVerbatim)
{
    EXPECT_EQ(N("SELECT \"a  b\" FROM \"my \"\"t\"\"\""), "SELECT\"a  b\"FROM\"my \"\"t\"\"\"");
    EXPECT_NE(N("DROP TABLE \"Users\""), N("DROP TABLE \"users\""));
    EXPECT_EQ(N("SELECT \"a -- b\" , 1"), "SELECT\"a -- b\",1");
    EXPECT_EQ(N("SELECT \"open  ident"), "SELECT\"open  ident");
}

TEST(Normalize, AdjacentLiteralsOfTheSameQuoteKeepTheirSpace)
{
    EXPECT_EQ(N("SELECT 'a' 'b'"), "SELECT'a' 'b'");
    EXPECT_EQ(N("SELECT 'a''b'"), "SELECT'a''b'");
    EXPECT_EQ(N("SELECT \"a\" \"b\""), "SELECT\"a\" \"b\"");
    EXPECT_EQ(N("SELECT \"a\"\"b\""), "SELECT\"a\"\"b\"");
    EXPECT_EQ(N("SELECT 'a' \"b\""), "SELECT'a'\"b\"");
    EXPECT_EQ(N("SELECT 'a' /* c */ 'b'"), "SELECT'a' 'b'");
}

TEST(Normalize, EscapeStringsHonourBackslashes)
{
    // E'a\'  -- b' is one literal; a reading without escapes would end it at \' and drop a comment.
    EXPECT_EQ(N("SELECT E'a\\'  -- b' , 1"), "SELECT E'a\\'  -- b',1");
    EXPECT_NE(N("SELECT E'a\\'  -- b'"), N("SELECT E'a\\'  -- c'"));
    EXPECT_EQ(N("SELECT e'\\\\' , 'x  y'"), "SELECT e'\\\\','x  y'");
    EXPECT_EQ(N("SELECT E'it''s' , 1"), "SELECT E'it''s',1");
}

TEST(Normalize, StandardStringsTakeBackslashLiterally)
{
    EXPECT_EQ(N("SELECT 'a\\' , 'b  c'"), "SELECT'a\\','b  c'");
}

TEST(Normalize, StandardConformingStringsOff)
{
    // With the setting off, '...' takes backslash escapes: 'a\' , ' is one literal.
    EXPECT_EQ(N("SELECT 'a\\' , 'b  c'", false, 150000), "SELECT'a\\' , 'b c'");
    EXPECT_NE(N("SELECT 'a\\'  -- x'", false, 150000), N("SELECT 'a\\'  -- y'", false, 150000));
    EXPECT_EQ(N("SELECT 'a\\'  -- x'"), N("SELECT 'a\\'  -- y'"));
}

TEST(Normalize, PrefixLetterBeforeLiteralKeepsItsSpace)
{
    EXPECT_EQ(N("SELECT E 'x'"), "SELECT E 'x'");
    EXPECT_EQ(N("SELECT E'x'"), "SELECT E'x'");
    EXPECT_NE(N("SELECT E 'x\\'y'"), N("SELECT E'x\\'y'"));
    EXPECT_EQ(N("SELECT e /* c */ 'x'"), "SELECT e 'x'");
    EXPECT_EQ(N("SELECT B '101'"), "SELECT B '101'");
    EXPECT_EQ(N("SELECT x '1f'"), "SELECT x '1f'");
    EXPECT_EQ(N("SELECT N 'x'"), "SELECT N 'x'");
    EXPECT_EQ(N("SELECT n'x'"), "SELECT n'x'");
    // A longer identifier is no prefix: the server reads "date '...'" and "date'...'" alike.
    EXPECT_EQ(N("SELECT date '2024-01-01'"), "SELECT date'2024-01-01'");
    EXPECT_EQ(N("SELECT date'2024-01-01'"), "SELECT date'2024-01-01'");
    // After a dollar quote, "E 'x'" is still an identifier and a literal.
    EXPECT_EQ(N("SELECT $$a$$E 'x'"), "SELECT $$a$$E 'x'");
}

TEST(Normalize, UnicodeEscapeLiterals)
{
    EXPECT_EQ(N("SELECT U&'d\\0061t  a'"), "SELECT U&'d\\0061t  a'");
    EXPECT_EQ(N("SELECT U& 'x'"), "SELECT U& 'x'");
    EXPECT_EQ(N("SELECT U &'x'"), "SELECT U &'x'");
    EXPECT_NE(N("SELECT U& 'x'"), N("SELECT U&'x'"));
    EXPECT_NE(N("SELECT U &'x'"), N("SELECT U&'x'"));
    EXPECT_EQ(N("SELECT U&\"a  b\" , 1"), "SELECT U&\"a  b\",1");
    EXPECT_EQ(N("SELECT u& \"a\""), "SELECT u& \"a\"");
    EXPECT_EQ(N("SELECT U&'x' UESCAPE '!'"), "SELECT U&'x'UESCAPE'!'");
}

TEST(Normalize, BitStringsEndAtTheFirstQuote)
{
    EXPECT_EQ(N("SELECT B'10'  , X'1F'"), "SELECT B'10',X'1F'");
    // With standard_conforming_strings off, B'1''\' -- ' is B'1' followed by the literal '\' -- '.
    EXPECT_EQ(N("SELECT B'1''\\' -- '", false, 150000), "SELECT B'1''\\' -- '");
    EXPECT_EQ(N("SELECT B'1''\\' -- '"), "SELECT B'1''\\'");
}

TEST(Normalize, StringContinuationKeepsOneNewline)
{
    EXPECT_EQ(N("SELECT 'a'\n   'b'"), "SELECT'a'\n'b'");
    EXPECT_EQ(N("SELECT 'a'  -- note\n\n  'b'"), "SELECT'a'\n'b'");
    EXPECT_EQ(N("SELECT 'a'\r'b'\n'c' , 1"), "SELECT'a'\n'b'\n'c',1");
    EXPECT_NE(N("SELECT 'a'\n'b'"), N("SELECT 'a' 'b'"));
    // A /* */ comment breaks the continuation.
    EXPECT_EQ(N("SELECT 'a' /* c */\n'b'"), "SELECT'a' 'b'");
}

TEST(Normalize, ContinuationOfEscapeStringKeepsEscapes)
{
    // The second part continues E'' and so takes backslash escapes: \' does not end it.
    EXPECT_EQ(N("SELECT E'a'\n'\\' -- x'"), "SELECT E'a'\n'\\' -- x'");
    EXPECT_NE(N("SELECT E'a'\n'\\' -- x'"), N("SELECT E'a'\n'\\' -- y'"));
}

TEST(Normalize, DollarQuotesKeptVerbatim)
{
    EXPECT_EQ(N("SELECT $$a  -- b$$ ,  1"), "SELECT $$a  -- b$$,1");
    EXPECT_EQ(N("DO $fn$ BEGIN  PERFORM 1; $$ inner $$ END $fn$ ;"), "DO $fn$ BEGIN  PERFORM 1; $$ inner $$ END $fn$");
    EXPECT_NE(N("SELECT $q$a  b$q$"), N("SELECT $q$a b$q$"));
    EXPECT_EQ(N("SELECT $A$ x $a$  y $A$"), "SELECT $A$ x $a$  y $A$");
    EXPECT_EQ(N("SELECT $d$ a $x$d$  z"), "SELECT $d$ a $x$d$ z");
    EXPECT_EQ(N("SELECT $_1$a  b$_1$"), "SELECT $_1$a  b$_1$");
    EXPECT_EQ(N("SELECT $é$a  b$é$"), "SELECT $é$a  b$é$");
    EXPECT_EQ(N("SELECT $$open   dollar"), "SELECT $$open   dollar");
}

TEST(Normalize, ParametersAreNotDollarQuotes)
{
    EXPECT_EQ(N("SELECT $1 ,  $2 -- x\n"), "SELECT $1,$2");
    EXPECT_EQ(N("SELECT $1$$a  b$$"), "SELECT $1$$a  b$$");
    EXPECT_EQ(N("SELECT $1a$  b$"), "SELECT $1a$ b$");
    EXPECT_EQ(N("SELECT $ 1"), "SELECT $ 1");
    EXPECT_EQ(N("SELECT $abc  def"), "SELECT $abc def");
}

TEST(Normalize, DollarInsideIdentifierOpensNothing)
{
    EXPECT_EQ(N("SELECT a$b$  c"), "SELECT a$b$ c");
    EXPECT_EQ(N("SELECT a$$  b$$"), "SELECT a$$ b$$");
    // After a number, '$' starts a token: here a dollar quote.
    EXPECT_EQ(N("SELECT 1$$a  b$$"), "SELECT 1$$a  b$$");
    EXPECT_EQ(N("SELECT 1e5$$a  b$$"), "SELECT 1e5$$a  b$$");
}

TEST(Normalize, OperatorCharactersAreNotGluedTogether)
{
    EXPECT_EQ(N("SELECT a - -1"), "SELECT a- -1");
    EXPECT_NE(N("SELECT a - -1"), "SELECT a--1");
    EXPECT_EQ(N("SELECT a / *b"), "SELECT a/ *b");
    EXPECT_EQ(N("SELECT a < = b"), "SELECT a< =b");
    EXPECT_EQ(N("SELECT a <= b"), "SELECT a<=b");
    EXPECT_NE(N("SELECT a < = b"), N("SELECT a <= b"));
    EXPECT_EQ(N("SELECT 1 -/**/- 2"), "SELECT 1- -2");
    EXPECT_EQ(N("SELECT 1 +-- c\n 2"), "SELECT 1+2");
    EXPECT_EQ(N("SELECT a = > b"), "SELECT a= >b");
}

TEST(Normalize, ColonsAndDotsAreNotGluedTogether)
{
    EXPECT_EQ(N("SELECT x : : int"), "SELECT x: :int");
    EXPECT_EQ(N("a : = 1"), "a: =1");
    EXPECT_EQ(N("a := 1"), "a:=1");
    EXPECT_EQ(N("FOR i IN 1 . . 3"), "FOR i IN 1 . . 3");
    EXPECT_EQ(N("FOR i IN 1..3"), "FOR i IN 1..3");
}

TEST(Normalize, NumbersAreNotGluedTogether)
{
    EXPECT_EQ(N("SELECT 1 .5"), "SELECT 1 .5");
    EXPECT_EQ(N("SELECT 1.5"), "SELECT 1.5");
    EXPECT_EQ(N("SELECT 1. e5"), "SELECT 1. e5");
    EXPECT_EQ(N("SELECT 1.e5"), "SELECT 1.e5");
    EXPECT_EQ(N("SELECT . 5"), "SELECT. 5");
    EXPECT_EQ(N("SELECT .5"), "SELECT.5");
    EXPECT_EQ(N("SELECT 1 AS x"), "SELECT 1 AS x");
    EXPECT_EQ(N("SELECT 1 e5"), "SELECT 1 e5");
}

TEST(Normalize, NumericLiteralsFollowTheServerVersion)
{
    // From 16 on, 0x1F and 1_000 are numbers, so '$$' after them opens a dollar quote.
    EXPECT_EQ(N("SELECT 0x1F$$a  b$$", true, 160000), "SELECT 0x1F$$a  b$$");
    EXPECT_EQ(N("SELECT 1_000$$a  b$$", true, 160000), "SELECT 1_000$$a  b$$");
    EXPECT_EQ(N("SELECT 0b1_01$$a  b$$", true, 170000), "SELECT 0b1_01$$a  b$$");
    // Before, 0 is a number and x1F$$a an identifier.
    EXPECT_EQ(N("SELECT 0x1F$$a  b$$", true, 140000), "SELECT 0x1F$$a b$$");
    EXPECT_EQ(N("SELECT 1_000$$a  b$$", true, 150000), "SELECT 1_000$$a b$$");
    // "0x" without digits is no hex number in any version: x'...' is a bit string.
    EXPECT_EQ(N("SELECT 0x'1  f'", true, 160000), "SELECT 0x'1  f'");
}

TEST(Normalize, NonAsciiBytesAreWordCharacters)
{
    EXPECT_EQ(N("SELECT é  ü FROM tëst"), "SELECT é ü FROM tëst");
    EXPECT_EQ(N("SELECT \xff  \xfe"), "SELECT \xff \xfe");
}

TEST(Normalize, NulBytesInsideTheView)
{
    const std::string sql("SELECT 1\0 2, 'a\0  b'", 20);
    EXPECT_EQ(N(sql), std::string("SELECT 1\0" "2,'a\0  b'", 18));
}

TEST(Normalize, LongIdentifiersAndStrings)
{
    const std::string ident(100000, 'a');
    EXPECT_EQ(N("DROP TABLE   " + ident + "  ;"), "DROP TABLE " + ident);
}

TEST(Normalize, IsIdempotent)
{
    const std::vector<std::string> corpus = {
        "DELETE FROM t -- x\nWHERE id = 1 ;",
        "SELECT E 'x' , U& 'y', U &'z', 'a' 'b', \"c\" \"d\"",
        "SELECT 'a'\n 'b' , E'c'\n'\\' -- d'",
        "SELECT a - -1, a / *b, 1 .5, 1. e5, x : : int, 1 . . 2",
        "DO $f$ x  y $f$; SELECT $1 ,$2",
        "SELECT /* open",
        "SELECT 'open",
    };
    for (const std::string& sql : corpus) {
        const std::string once = N(sql);
        EXPECT_EQ(N(once), once) << sql;
    }
}

double seconds_to_normalize(const std::string& sql, std::string* out)
{
    const auto start = std::chrono::steady_clock::now();
    *out = N(sql);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(Normalize, MegabyteInputsInLinearTime)
{
    constexpr std::size_t kSize = 1 << 20;
    std::string out;

    std::string open_comments;
    while (open_comments.size() < kSize)
        open_comments += "/*";
    EXPECT_LT(seconds_to_normalize(open_comments, &out), 10.0);
    EXPECT_EQ(out, open_comments);

    std::string parens = "SELECT" + std::string(kSize, '(') + "1" + std::string(kSize, ')');
    EXPECT_LT(seconds_to_normalize(parens, &out), 10.0);
    EXPECT_EQ(out, parens);

    // A long tag and many near misses: each '$' costs a comparison that stops at the next '$'.
    const std::string tag = "$" + std::string(1000, 't') + "$";
    std::string near_misses = "SELECT " + tag;
    while (near_misses.size() < kSize)
        near_misses += "$" + std::string(999, 't') + "x";
    near_misses += tag;
    EXPECT_LT(seconds_to_normalize(near_misses, &out), 10.0);
    EXPECT_EQ(out, near_misses);

    std::string dollars = "SELECT ";
    while (dollars.size() < kSize)
        dollars += "$";
    EXPECT_LT(seconds_to_normalize(dollars, &out), 10.0);
    EXPECT_EQ(out, dollars);

    std::string quotes(kSize, '\'');
    EXPECT_LT(seconds_to_normalize(quotes, &out), 10.0);
    EXPECT_EQ(out, quotes);

    std::string continued = "SELECT 'a'";
    std::string continued_want = "SELECT'a'";
    while (continued.size() < kSize) {
        continued += "   \n   'a'";
        continued_want += "\n'a'";
    }
    EXPECT_LT(seconds_to_normalize(continued, &out), 10.0);
    EXPECT_EQ(out, continued_want);

    std::string spaces = "SELECT" + std::string(kSize, ' ') + "1";
    EXPECT_LT(seconds_to_normalize(spaces, &out), 10.0);
    EXPECT_EQ(out, "SELECT 1");
}

TEST(Normalize, ArbitraryBytesNeverCrash)
{
    // Every two-byte and many three-byte combinations of the bytes the lexer treats specially.
    const std::string alphabet = std::string("'\"$-/*\\eEuU&1._ \n;:=<>a\x80\xff", 25) + std::string(1, '\0');
    for (char a : alphabet)
        for (char b : alphabet)
            for (char c : alphabet) {
                const std::string sql{a, b, c};
                const std::string once = N(sql);
                EXPECT_LE(once.size(), sql.size());
                EXPECT_EQ(N(once), once) << "input bytes: " << static_cast<int>(a) << ' '
                                         << static_cast<int>(b) << ' ' << static_cast<int>(c);
            }
}

}  // namespace
}  // namespace agentguard
