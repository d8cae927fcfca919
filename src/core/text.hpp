// Statement text handling for pg_agentguard: normalisation for token matching, password redaction,
// safe truncation and escaping.
//
// Pure C++17, no Postgres header. Everything here is deterministic, allocation failure is the only
// exception it may throw (std::bad_alloc), and it never reads past the given view.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agentguard {

// Canonical form of one SQL statement, used to decide whether a token's statement and a presented
// statement are "the same": comments (-- and nested /* */) are dropped, runs of white space are
// collapsed to one space where it separates two word characters (letters, digits, _, $, non-ASCII
// bytes) and removed elsewhere, surrounding white space and trailing semicolons are trimmed.
// A space is also kept wherever removing it would make the server read different tokens: between two
// operator characters ("a - -1", "a / *b"), between two literals of the same quote, in "E 'x'"
// (likewise B, X, N), "U& 'x'", "U &'x'", "1 .5", "1. e5", ". ." and ": =". Two string literals
// joined by white space holding a newline (which the server concatenates) keep one "\n" between them.
// String literals ('...', E'...' with backslash escapes, U&'...'), quoted identifiers ("...") and
// dollar-quoted strings ($tag$...$tag$) are kept byte for byte. Case is kept.
// Unterminated quotes and comments keep the rest of the input verbatim.
// Equal results mean the same token sequence to the server (or a statement it cannot parse).
std::string normalize_statement(std::string_view sql);

// How the server lexes SQL text. The defaults are PostgreSQL 15 with standard_conforming_strings on,
// which is what the one-argument functions assume. With standard_conforming_strings off, '...' takes
// backslash escapes; from version 16 on, numeric literals may use 0x/0o/0b prefixes and '_' separators.
// Both change where literals end, so the glue should pass the session's real values.
struct LexOptions {
    bool standard_conforming_strings = true;
    int server_version_num = 150000;
};

std::string normalize_statement(std::string_view sql, const LexOptions& options);

// Replaces every string literal that follows the keyword PASSWORD (case-insensitive, outside quotes and
// comments, optionally after ENCRYPTED/UNENCRYPTED, optionally separated by white space or '=')
// with '********'. Covers CREATE/ALTER ROLE/USER ... PASSWORD '...' and OPTIONS (password '...').
// Dollar-quoted and E'' literals are redacted too. Other text is kept byte for byte.
// A quoted identifier "password" counts as the keyword too (it names the option in OPTIONS (...)).
// Dollar-quoted bodies (DO blocks, function bodies) are searched the same way, a few levels deep,
// because they hold statements of their own.
std::string redact_passwords(std::string_view sql);
std::string redact_passwords(std::string_view sql, const LexOptions& options);

// At most max_bytes bytes of s, never splitting a UTF-8 sequence; when cut, "..." is appended
// (the result may then be max_bytes + 3 bytes long).
std::string truncate_utf8(std::string_view s, std::size_t max_bytes);

// JSON string escaping (without the surrounding quotes): ", \, control characters as \u00XX
// (lower-case hex, \n included), bytes >= 0x80 passed through. Invalid UTF-8 bytes are replaced by
// \ufffd, one per byte (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::string json_escape(std::string_view s);

// json_escape(s) when it fits in max_out bytes; otherwise the longest prefix of it that never splits an
// escape or a UTF-8 sequence, followed by "...", all within max_out bytes (empty when max_out < 3).
std::string json_escape_truncated(std::string_view s, std::size_t max_out);

// Lower-case hex of bytes.
std::string to_hex(const unsigned char* data, std::size_t n);

}  // namespace agentguard
