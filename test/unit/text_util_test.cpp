// truncate_utf8, json_escape, json_escape_truncated, to_hex.
#include <gtest/gtest.h>

#include <string>

#include "core/text.hpp"

namespace agentguard {
namespace {

TEST(TruncateUtf8, ShortInputUnchanged)
{
    EXPECT_EQ(truncate_utf8("", 0), "");
    EXPECT_EQ(truncate_utf8("abc", 3), "abc");
    EXPECT_EQ(truncate_utf8("abc", 100), "abc");
}

TEST(TruncateUtf8, CutAsciiAppendsEllipsis)
{
    EXPECT_EQ(truncate_utf8("abcd", 3), "abc...");
    EXPECT_EQ(truncate_utf8("a", 0), "...");
}

TEST(TruncateUtf8, NeverSplitsTwoByteSequence)
{
    // "é" is C3 A9.
    EXPECT_EQ(truncate_utf8("a\xc3\xa9z", 1), "a...");
    EXPECT_EQ(truncate_utf8("a\xc3\xa9z", 2), "a...");
    EXPECT_EQ(truncate_utf8("a\xc3\xa9z", 3), "a\xc3\xa9...");
    EXPECT_EQ(truncate_utf8("a\xc3\xa9", 3), "a\xc3\xa9");
}

TEST(TruncateUtf8, NeverSplitsThreeAndFourByteSequences)
{
    // "€" is E2 82 AC, "😀" is F0 9F 98 80.
    EXPECT_EQ(truncate_utf8("x\xe2\x82\xacy", 2), "x...");
    EXPECT_EQ(truncate_utf8("x\xe2\x82\xacy", 3), "x...");
    EXPECT_EQ(truncate_utf8("x\xe2\x82\xacy", 4), "x\xe2\x82\xac...");
    EXPECT_EQ(truncate_utf8("\xf0\x9f\x98\x80!", 1), "...");
    EXPECT_EQ(truncate_utf8("\xf0\x9f\x98\x80!", 2), "...");
    EXPECT_EQ(truncate_utf8("\xf0\x9f\x98\x80!", 3), "...");
    EXPECT_EQ(truncate_utf8("\xf0\x9f\x98\x80!", 4), "\xf0\x9f\x98\x80...");
}

TEST(TruncateUtf8, StrayContinuationBytesDoNotMoveTheCut)
{
    EXPECT_EQ(truncate_utf8("a\x80\x80\x80\x80\x80z", 3), "a\x80\x80...");
    EXPECT_EQ(truncate_utf8("\xff\xfe\xfd", 2), "\xff\xfe...");
}

TEST(TruncateUtf8, IncompleteSequenceCutBeforeItsLeadByte)
{
    EXPECT_EQ(truncate_utf8("a\xe2\x82", 2), "a...");
}

TEST(TruncateUtf8, NulBytesAreOrdinary)
{
    EXPECT_EQ(truncate_utf8(std::string("a\0b\0c", 5), 3), std::string("a\0b...", 6));
}

TEST(JsonEscape, QuotesAndBackslashes)
{
    EXPECT_EQ(json_escape("a\"b\\c/d"), "a\\\"b\\\\c/d");
}

TEST(JsonEscape, ControlCharactersAsUnicodeEscapes)
{
    EXPECT_EQ(json_escape("\n\t\r\x01\x1f\x7f"), "\\u000a\\u0009\\u000d\\u0001\\u001f\x7f");
    EXPECT_EQ(json_escape(std::string("a\0b", 3)), "a\\u0000b");
}

TEST(JsonEscape, ValidUtf8PassesThrough)
{
    EXPECT_EQ(json_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"),
              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
}

TEST(JsonEscape, InvalidUtf8BytesReplaced)
{
    EXPECT_EQ(json_escape("\xff"), "\\ufffd");
    EXPECT_EQ(json_escape("a\xc3"), "a\\ufffd");
    EXPECT_EQ(json_escape("\xc3("), "\\ufffd(");
    EXPECT_EQ(json_escape("\x80z"), "\\ufffdz");
    EXPECT_EQ(json_escape("\xc0\xaf"), "\\ufffd\\ufffd");                       // overlong '/'
    EXPECT_EQ(json_escape("\xe0\x80\xaf"), "\\ufffd\\ufffd\\ufffd");            // overlong
    EXPECT_EQ(json_escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");            // surrogate
    EXPECT_EQ(json_escape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd"); // above U+10FFFF
    EXPECT_EQ(json_escape("\xe2\x82"), "\\ufffd\\ufffd");                       // cut short
    EXPECT_EQ(json_escape("\xf5\x80\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
}

TEST(JsonEscapeTruncated, FitsUnchanged)
{
    EXPECT_EQ(json_escape_truncated("abcdef", 6), "abcdef");
    EXPECT_EQ(json_escape_truncated("", 0), "");
    EXPECT_EQ(json_escape_truncated("\n", 6), "\\u000a");
}

TEST(JsonEscapeTruncated, CutWithEllipsisWithinTheLimit)
{
    EXPECT_EQ(json_escape_truncated("abcdefg", 6), "abc...");
    EXPECT_EQ(json_escape_truncated("abcdefg", 3), "...");
    EXPECT_EQ(json_escape_truncated("abcdefg", 2), "");
}

TEST(JsonEscapeTruncated, NeverSplitsAnEscapeOrACharacter)
{
    EXPECT_EQ(json_escape_truncated("\n\n", 10), "\\u000a...");
    EXPECT_EQ(json_escape_truncated("\n\n", 8), "...");
    EXPECT_EQ(json_escape_truncated("a\"bc", 4), "a...");
    EXPECT_EQ(json_escape_truncated("a\"b", 4), "a\\\"b");
    EXPECT_EQ(json_escape_truncated("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 7), "\xc3\xa9\xc3\xa9...");
    EXPECT_EQ(json_escape_truncated("\xc3\xa9\xc3\xa9\xc3\xa9", 6), "\xc3\xa9\xc3\xa9\xc3\xa9");
    EXPECT_EQ(json_escape_truncated("\xff\xff", 11), "\\ufffd...");
}

TEST(ToHex, LowerCase)
{
    const unsigned char bytes[] = {0x00, 0x0f, 0xab, 0xff, 0x10};
    EXPECT_EQ(to_hex(bytes, sizeof bytes), "000fabff10");
    EXPECT_EQ(to_hex(bytes, 0), "");
    EXPECT_EQ(to_hex(nullptr, 0), "");
}

}  // namespace
}  // namespace agentguard
