// Token format: "agt_<id>_<hex secret>". See token.hpp for the contract.
#include "core/token.hpp"

#include <limits>

#include "core/text.hpp"

namespace agentguard {

namespace {

constexpr std::size_t kMinSecretHex = 32;   // 128 bits
constexpr std::size_t kMaxSecretHex = 128;  // 512 bits

bool is_token_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_token_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_token_space(s.back()))
        s.remove_suffix(1);
    return s;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// A positive decimal without sign or leading zero that fits int64_t; format_token writes no other.
bool parse_id(std::string_view digits, int64_t* id)
{
    if (digits.empty() || digits.front() == '0')
        return false;
    int64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
        const int d = c - '0';
        if (value > (std::numeric_limits<int64_t>::max() - d) / 10)
            return false;
        value = value * 10 + d;
    }
    *id = value;
    return true;
}

bool parse_secret(std::string_view hex, std::string* lower)
{
    if (hex.size() < kMinSecretHex || hex.size() > kMaxSecretHex || hex.size() % 2 != 0)
        return false;
    std::string out(hex.size(), '\0');
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const int v = hex_value(hex[i]);
        if (v < 0)
            return false;
        out[i] = "0123456789abcdef"[v];
    }
    *lower = std::move(out);
    return true;
}

}  // namespace

std::string format_token(int64_t token_id, const unsigned char* secret, std::size_t n)
{
    std::string out(kTokenPrefix);
    out.append(std::to_string(token_id));
    out.push_back('_');
    out.append(to_hex(secret, n));
    return out;
}

bool parse_token(std::string_view text, ParsedToken* out)
{
    std::string_view s = trim(text);
    // Case-insensitive throughout: a token upper-cased on its way (a chat client, a shell) still works.
    if (s.size() < kTokenPrefix.size())
        return false;
    for (std::size_t i = 0; i < kTokenPrefix.size(); ++i) {
        const char c = s[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != kTokenPrefix[i])
            return false;
    }
    s.remove_prefix(kTokenPrefix.size());
    const std::size_t sep = s.find('_');
    if (sep == std::string_view::npos)
        return false;
    ParsedToken parsed;
    if (!parse_id(s.substr(0, sep), &parsed.token_id))
        return false;
    if (!parse_secret(s.substr(sep + 1), &parsed.secret_hex))
        return false;
    if (out != nullptr)
        *out = std::move(parsed);
    return true;
}

}  // namespace agentguard
