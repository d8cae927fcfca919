// Token format of pg_agentguard.
//
// A token is what an approver hands to an agent: "agt_" + decimal token id + "_" + 32 or more lower-case
// hex characters of secret (at least 128 bits). Only the SHA-256 of the secret part is stored; the glue
// hashes with the server's own SHA-256. Parsing is strict but case-insensitive: anything else is malformed.
// Pure C++17, no Postgres header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agentguard {

constexpr std::size_t kTokenSecretBytes = 20;  // 160 bits
constexpr std::string_view kTokenPrefix = "agt_";

std::string format_token(int64_t token_id, const unsigned char* secret, std::size_t n);

struct ParsedToken {
    int64_t token_id = 0;
    std::string secret_hex;  // lower-case hex as presented
};

// True when text is a well-formed token (surrounding white space ignored); token_id > 0,
// secret of an even number >= 32 and <= 128 of hex digits. Letter case does not matter anywhere: the
// prefix may be "AGT_", the hex digits upper case (returned lower case).
// The id is written as format_token writes it: no sign, no leading zero, at most INT64_MAX.
// *out is written only on success; out may be null to validate only.
bool parse_token(std::string_view text, ParsedToken* out);

}  // namespace agentguard
