// redact_passwords: every literal after PASSWORD goes, nothing else changes.
#include <gtest/gtest.h>

#include <string>

#include "core/text.hpp"

namespace agentguard {
namespace {

std::string R(std::string_view sql)
{
    return redact_passwords(sql);
}

TEST(Redact, DoubledQuoteInsidePassword)
{
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'a''b'"), "CREATE ROLE x PASSWORD '********'");
}

TEST(Redact, EncryptedAndUnencrypted)
{
    EXPECT_EQ(R("ALTER USER x WITH ENCRYPTED PASSWORD 'p'"), "ALTER USER x WITH ENCRYPTED PASSWORD '********'");
    EXPECT_EQ(R("ALTER USER x UNENCRYPTED PASSWORD 'p' LOGIN"), "ALTER USER x UNENCRYPTED PASSWORD '********' LOGIN");
}

TEST(Redact, CaseInsensitiveKeywordAndOtherLiteralsKept)
{
    EXPECT_EQ(R("alter role x PaSsWoRd 'p' valid until '2030-01-01';"),
              "alter role x PaSsWoRd '********' valid until '2030-01-01';");
}

TEST(Redact, PasswordNullLeftAlone)
{
    EXPECT_EQ(R("ALTER ROLE x PASSWORD NULL"), "ALTER ROLE x PASSWORD NULL");
    EXPECT_EQ(R("ALTER ROLE x PASSWORD NULL VALID UNTIL 'infinity'"),
              "ALTER ROLE x PASSWORD NULL VALID UNTIL 'infinity'");
}

TEST(Redact, DollarQuotedPassword)
{
    EXPECT_EQ(R("CREATE ROLE x LOGIN PASSWORD $$p'q$$"), "CREATE ROLE x LOGIN PASSWORD '********'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD $t$p$$q$t$ LOGIN"), "CREATE ROLE x PASSWORD '********' LOGIN");
}

TEST(Redact, EscapeStringPassword)
{
    EXPECT_EQ(R("ALTER ROLE x PASSWORD E'a\\' b' LOGIN"), "ALTER ROLE x PASSWORD '********' LOGIN");
    EXPECT_EQ(R("ALTER ROLE x PASSWORD U&'p\\0061ss'"), "ALTER ROLE x PASSWORD '********'");
}

TEST(Redact, ContinuedLiteralRedactedWhole)
{
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'ab'\n  'cd' LOGIN"), "CREATE ROLE x PASSWORD '********' LOGIN");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'ab' -- c\n'cd'\n'ef';"), "CREATE ROLE x PASSWORD '********';");
}

TEST(Redact, CommentsAndEqualsBetweenKeywordAndLiteral)
{
    EXPECT_EQ(R("CREATE ROLE x PASSWORD /* c */ 'p'"), "CREATE ROLE x PASSWORD /* c */ '********'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD -- c\n 'p'"), "CREATE ROLE x PASSWORD -- c\n '********'");
    EXPECT_EQ(R("OPTIONS (password='p')"), "OPTIONS (password='********')");
    EXPECT_EQ(R("OPTIONS (password = 'p')"), "OPTIONS (password = '********')");
    EXPECT_EQ(R("OPTIONS (password == 'p')"), "OPTIONS (password == 'p')");
}

TEST(Redact, UserMappingOptions)
{
    EXPECT_EQ(R("CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'secret')"),
              "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '********')");
    EXPECT_EQ(R("ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET \"password\" 'secret')"),
              "ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET \"password\" '********')");
}

TEST(Redact, PasswordInCommentDoesNotConfuse)
{
    EXPECT_EQ(R("CREATE ROLE x /* PASSWORD 'not' */ LOGIN"), "CREATE ROLE x /* PASSWORD 'not' */ LOGIN");
    EXPECT_EQ(R("CREATE ROLE x -- password 'c'\n PASSWORD 'real'"),
              "CREATE ROLE x -- password 'c'\n PASSWORD '********'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD /* 'fake' */ 'real'"), "CREATE ROLE x PASSWORD /* 'fake' */ '********'");
}

TEST(Redact, PasswordInAnotherLiteralDoesNotConfuse)
{
    EXPECT_EQ(R("COMMENT ON ROLE x IS 'password ''y'''"), "COMMENT ON ROLE x IS 'password ''y'''");
    EXPECT_EQ(R("SELECT 'PASSWORD', 'kept'"), "SELECT 'PASSWORD', 'kept'");
    EXPECT_EQ(R("SELECT \"PassWord\" 'kept'"), "SELECT \"PassWord\" 'kept'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'it''s PASSWORD ''x''' LOGIN"), "CREATE ROLE x PASSWORD '********' LOGIN");
}

TEST(Redact, OnlyTheWholeKeyword)
{
    EXPECT_EQ(R("SELECT password_hash 'x', mypassword 'y', password$ 'z'"),
              "SELECT password_hash 'x', mypassword 'y', password$ 'z'");
    EXPECT_EQ(R("SELECT password, 'x'"), "SELECT password, 'x'");
}

TEST(Redact, OnlyTheFirstLiteralAfterTheKeyword)
{
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'a' 'b'"), "CREATE ROLE x PASSWORD '********' 'b'");
}

TEST(Redact, SeveralStatements)
{
    EXPECT_EQ(R("CREATE ROLE a PASSWORD 'x'; CREATE ROLE b PASSWORD 'y'"),
              "CREATE ROLE a PASSWORD '********'; CREATE ROLE b PASSWORD '********'");
}

TEST(Redact, UnterminatedPasswordLiteral)
{
    EXPECT_EQ(R("CREATE ROLE x PASSWORD 'abc"), "CREATE ROLE x PASSWORD '********'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD $$abc"), "CREATE ROLE x PASSWORD '********'");
    EXPECT_EQ(R("CREATE ROLE x PASSWORD"), "CREATE ROLE x PASSWORD");
}

TEST(Redact, InsideDollarQuotedBodies)
{
    EXPECT_EQ(R("DO $$BEGIN CREATE ROLE x PASSWORD 'p'; END$$"), "DO $$BEGIN CREATE ROLE x PASSWORD '********'; END$$");
    EXPECT_EQ(R("DO $a$ BEGIN EXECUTE $b$ALTER ROLE x PASSWORD 'p'$b$; END $a$;"),
              "DO $a$ BEGIN EXECUTE $b$ALTER ROLE x PASSWORD '********'$b$; END $a$;");
    EXPECT_EQ(R("SELECT $$no secrets  here$$"), "SELECT $$no secrets  here$$");
}

TEST(Redact, DeepNestingIsBoundedAndDoesNotCrash)
{
    std::string sql;
    for (int i = 0; i < 20; ++i)
        sql += "$t" + std::to_string(i) + "$ ";
    sql += "PASSWORD 'p'";
    for (int i = 19; i >= 0; --i)
        sql += " $t" + std::to_string(i) + "$";
    const std::string out = R(sql);
    // Beyond the depth limit the innermost body is left as it is, the nesting around it intact.
    EXPECT_EQ(out, sql);

    std::string shallow = "$t0$ $t1$ $t2$ PASSWORD 'p' $t2$ $t1$ $t0$";
    EXPECT_EQ(R(shallow), "$t0$ $t1$ $t2$ PASSWORD '********' $t2$ $t1$ $t0$");
}

TEST(Redact, OtherBytesKeptExactly)
{
    const std::string sql("CREATE ROLE \xff\0x  PASSWORD\t'p'  /* \x80 */", 38);
    const std::string want("CREATE ROLE \xff\0x  PASSWORD\t'********'  /* \x80 */", 45);
    EXPECT_EQ(R(sql), want);
    EXPECT_EQ(R("SELECT  1 ;  -- nothing to see"), "SELECT  1 ;  -- nothing to see");
}

TEST(Redact, StandardConformingStringsOff)
{
    LexOptions options;
    options.standard_conforming_strings = false;
    // With backslash escapes the literal is 'ab\'cd'; reading it without them would leak "cd".
    EXPECT_EQ(redact_passwords("ALTER ROLE x PASSWORD 'ab\\'cd' LOGIN", options),
              "ALTER ROLE x PASSWORD '********' LOGIN");
}

TEST(Redact, MegabyteInput)
{
    std::string sql = "CREATE ROLE x PASSWORD '";
    sql += std::string(1 << 20, 'p');
    sql += "' LOGIN";
    EXPECT_EQ(R(sql), "CREATE ROLE x PASSWORD '********' LOGIN");
}

}  // namespace
}  // namespace agentguard
