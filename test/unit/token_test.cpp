// format_token / parse_token.
#include <gtest/gtest.h>

#include <string>

#include "core/token.hpp"

namespace agentguard {
namespace {

const std::string kHex40 = "000102030405060708090a0b0c0d0e0f10111213";

std::string secret_hex(std::size_t n, char c = 'a')
{
    return std::string(n, c);
}

TEST(FormatToken, PrefixIdAndLowerHex)
{
    unsigned char secret[kTokenSecretBytes];
    for (std::size_t i = 0; i < kTokenSecretBytes; ++i)
        secret[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(format_token(42, secret, sizeof secret), "agt_42_" + kHex40);

    const unsigned char high[] = {0xde, 0xad, 0xbe, 0xef};
    EXPECT_EQ(format_token(9223372036854775807LL, high, sizeof high), "agt_9223372036854775807_deadbeef");
}

TEST(ParseToken, RoundTrip)
{
    unsigned char secret[kTokenSecretBytes];
    for (std::size_t i = 0; i < kTokenSecretBytes; ++i)
        secret[i] = static_cast<unsigned char>(0xf0 + i);
    ParsedToken parsed;
    ASSERT_TRUE(parse_token(format_token(7, secret, sizeof secret), &parsed));
    EXPECT_EQ(parsed.token_id, 7);
    EXPECT_EQ(parsed.secret_hex, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203");
}

TEST(ParseToken, SurroundingWhiteSpaceIgnored)
{
    ParsedToken parsed;
    ASSERT_TRUE(parse_token(" \t\nagt_12_" + kHex40 + "\r\n ", &parsed));
    EXPECT_EQ(parsed.token_id, 12);
    EXPECT_EQ(parsed.secret_hex, kHex40);
}

TEST(ParseToken, UpperCaseHexReturnedLowerCase)
{
    ParsedToken parsed;
    ASSERT_TRUE(parse_token("agt_3_ABCDEF0123456789ABCDEF0123456789", &parsed));
    EXPECT_EQ(parsed.secret_hex, "abcdef0123456789abcdef0123456789");
}

// An agent that received its token upper-cased (a chat client, a shell) still presents a valid token.
TEST(ParseToken, FullyUpperCasedTokenAccepted)
{
    ParsedToken parsed;
    ASSERT_TRUE(parse_token("AGT_3_ABCDEF0123456789ABCDEF0123456789", &parsed));
    EXPECT_EQ(parsed.token_id, 3);
    EXPECT_EQ(parsed.secret_hex, "abcdef0123456789abcdef0123456789");
    ASSERT_TRUE(parse_token("Agt_4_" + kHex40, &parsed));
    EXPECT_EQ(parsed.token_id, 4);
}

TEST(ParseToken, SecretLengthLimits)
{
    ParsedToken parsed;
    EXPECT_TRUE(parse_token("agt_1_" + secret_hex(32), &parsed));
    EXPECT_EQ(parsed.secret_hex, secret_hex(32));
    EXPECT_TRUE(parse_token("agt_1_" + secret_hex(128), &parsed));
    EXPECT_FALSE(parse_token("agt_1_" + secret_hex(30), &parsed));   // too short
    EXPECT_FALSE(parse_token("agt_1_" + secret_hex(31), &parsed));   // too short and odd
    EXPECT_FALSE(parse_token("agt_1_" + secret_hex(33), &parsed));   // odd
    EXPECT_FALSE(parse_token("agt_1_" + secret_hex(130), &parsed));  // too long
}

TEST(ParseToken, LargestId)
{
    ParsedToken parsed;
    ASSERT_TRUE(parse_token("agt_9223372036854775807_" + kHex40, &parsed));
    EXPECT_EQ(parsed.token_id, 9223372036854775807LL);
}

TEST(ParseToken, NullOutputOnlyValidates)
{
    EXPECT_TRUE(parse_token("agt_1_" + kHex40, nullptr));
    EXPECT_FALSE(parse_token("agt_0_" + kHex40, nullptr));
}

class MalformedToken : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedToken, Rejected)
{
    ParsedToken parsed;
    parsed.token_id = 99;
    parsed.secret_hex = "untouched";
    EXPECT_FALSE(parse_token(GetParam(), &parsed));
    EXPECT_EQ(parsed.token_id, 99);
    EXPECT_EQ(parsed.secret_hex, "untouched");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedToken,
    ::testing::Values(std::string(""), std::string("   "), std::string("agt_"), std::string("agt_42"),
                      std::string("agt_42_"), std::string("agt__" + kHex40),            // no id
                      std::string("agt_0_" + kHex40),                                   // id 0
                      std::string("agt_-1_" + kHex40),                                  // negative
                      std::string("agt_+1_" + kHex40),                                  // sign
                      std::string("agt_042_" + kHex40),                                 // leading zero
                      std::string("agt_9223372036854775808_" + kHex40),                 // overflow
                      std::string("agt_99999999999999999999999_" + kHex40),             // overflow
                      std::string("agt_1x_" + kHex40),                                  // junk in id
                      std::string("agt_1 _" + kHex40),                                  // space in id
                      std::string("agt_1_" + kHex40.substr(0, 39)),                     // odd length
                      std::string("agt_1_" + kHex40.substr(0, 38) + "g0"),              // non-hex
                      std::string("agt_1_" + kHex40.substr(0, 30)),                     // too short
                      std::string("agt_1_" + kHex40 + "x"),                             // trailing garbage
                      std::string("agt_1_" + kHex40 + "_"),                             // trailing separator
                      std::string("agt_1_" + kHex40 + " x"),                            // trailing word
                      std::string("agt_1_" + kHex40.substr(0, 20) + std::string(1, '\0') +
                                  kHex40.substr(21)),                                   // embedded NUL
                      std::string("agt_1_" + kHex40) + std::string(1, '\0'),            // trailing NUL
                      std::string("xagt_1_" + kHex40),                                  // before prefix
                      std::string("agt-1_" + kHex40),                                   // wrong separator
                      std::string("agt_1_2_" + kHex40)));                               // extra field

}  // namespace
}  // namespace agentguard
