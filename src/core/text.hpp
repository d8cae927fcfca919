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
// String literals ('...', E'...' with backslash escapes, U&'...'), quoted identifiers ("...") and
// dollar-quoted strings ($tag$...$tag$) are kept byte for byte. Case is kept.
// Unterminated quotes keep the rest of the input verbatim.
std::string normalize_statement(std::string_view sql);

// Replaces every string literal that follows the keyword PASSWORD (case-insensitive, outside quotes and
// comments, optionally after ENCRYPTED/UNENCRYPTED, optionally separated by white space or '=')
// with '********'. Covers CREATE/ALTER ROLE/USER ... PASSWORD '...' and OPTIONS (password '...').
// Dollar-quoted and E'' literals are redacted too. Other text is kept byte for byte.
std::string redact_passwords(std::string_view sql);

// At most max_bytes bytes of s, never splitting a UTF-8 sequence; when cut, "..." is appended
// (the result may then be max_bytes + 3 bytes long).
std::string truncate_utf8(std::string_view s, std::size_t max_bytes);

// JSON string escaping (without the surrounding quotes): ", \, control characters as \u00XX,
// bytes >= 0x80 passed through. Invalid UTF-8 bytes are replaced by \ufffd.
std::string json_escape(std::string_view s);

// Lower-case hex of bytes.
std::string to_hex(const unsigned char* data, std::size_t n);

}  // namespace agentguard
