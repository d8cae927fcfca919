// Token boundaries as PostgreSQL's scan.l draws them. See sql_lexer.hpp for the contract.
#include "core/sql_lexer.hpp"

namespace agentguard::detail {

bool is_space_byte(unsigned char c)
{
    // \v is white space from PostgreSQL 16 on; before that the server rejects it outside literals,
    // so treating it as white space cannot make two runnable statements equal.
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool is_ident_cont(unsigned char c)
{
    return is_ident_start(c) || is_digit(c) || c == '$';
}

bool is_op_char(unsigned char c)
{
    switch (c) {
    case '~': case '!': case '@': case '#': case '^': case '&': case '|': case '`': case '?':
    case '+': case '-': case '*': case '/': case '%': case '<': case '>': case '=':
        return true;
    default:
        return false;
    }
}

namespace {

// A dollar-quote tag may not contain '$' (unlike an identifier).
bool is_dolq_cont(unsigned char c)
{
    return is_ident_start(c) || is_digit(c);
}

bool is_base_digit(unsigned char c, unsigned char base_letter)
{
    switch (base_letter | 0x20) {
    case 'x':
        return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
    case 'o':
        return c >= '0' && c <= '7';
    default:
        return c == '0' || c == '1';
    }
}

}  // namespace

Lexer::Lexer(std::string_view sql, const LexOptions& options) : s_(sql), options_(options) {}

unsigned char Lexer::at(std::size_t i) const
{
    return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0;
}

bool Lexer::starts_comment(std::size_t i) const
{
    if (i + 1 >= s_.size())
        return false;
    return (s_[i] == '-' && s_[i + 1] == '-') || (s_[i] == '/' && s_[i + 1] == '*');
}

std::size_t Lexer::skip_line_comment(std::size_t i) const
{
    while (i < s_.size() && s_[i] != '\n' && s_[i] != '\r')
        ++i;
    return i;
}

std::size_t Lexer::skip_block_comment(std::size_t i, bool* terminated) const
{
    // The server nests /* */ comments; a flat scan would end at the first */ and expose the rest.
    std::size_t depth = 1;
    std::size_t j = i + 2;
    while (j < s_.size()) {
        if (s_[j] == '*' && at(j + 1) == '/') {
            j += 2;
            if (--depth == 0) {
                *terminated = true;
                return j;
            }
        } else if (s_[j] == '/' && at(j + 1) == '*') {
            j += 2;
            ++depth;
        } else {
            ++j;
        }
    }
    *terminated = false;
    return s_.size();
}

std::size_t Lexer::skip_quoted(std::size_t i, QuoteMode mode, bool* terminated) const
{
    std::size_t j = i + 1;
    while (j < s_.size()) {
        const char c = s_[j];
        if (c == '\'') {
            // B'' and X'' know no '' doubling: the server ends them here and starts a new literal.
            if (mode != QuoteMode::Bits && at(j + 1) == '\'') {
                j += 2;
                continue;
            }
            *terminated = true;
            return j + 1;
        }
        if (c == '\\' && mode == QuoteMode::Escape) {
            j += 2;
            continue;
        }
        ++j;
    }
    *terminated = false;
    return s_.size();
}

std::size_t Lexer::skip_quoted_ident(std::size_t i, bool* terminated) const
{
    std::size_t j = i + 1;
    while (j < s_.size()) {
        if (s_[j] == '"') {
            if (at(j + 1) == '"') {
                j += 2;
                continue;
            }
            *terminated = true;
            return j + 1;
        }
        ++j;
    }
    *terminated = false;
    return s_.size();
}

std::size_t Lexer::skip_digits(std::size_t i, bool underscores) const
{
    if (!is_digit(at(i)))
        return i;
    std::size_t j = i + 1;
    while (j < s_.size()) {
        if (is_digit(at(j)))
            ++j;
        else if (underscores && s_[j] == '_' && is_digit(at(j + 1)))
            j += 2;
        else
            break;
    }
    return j;
}

std::size_t Lexer::skip_prefixed_integer(std::size_t i) const
{
    const unsigned char base = at(i + 1) | 0x20;
    if (at(i) != '0' || (base != 'x' && base != 'o' && base != 'b'))
        return i;
    std::size_t j = i + 2;
    std::size_t digits = 0;
    while (j < s_.size()) {
        if (s_[j] == '_' && j + 1 < s_.size() && is_base_digit(at(j + 1), base)) {
            j += 2;
        } else if (is_base_digit(at(j), base)) {
            ++j;
        } else {
            break;
        }
        ++digits;
    }
    return digits > 0 ? j : i;
}

std::size_t Lexer::skip_number(std::size_t i) const
{
    // Where a number ends decides whether a following '$' opens a dollar quote and whether a
    // following E/B/X/N/U opens a prefixed literal, so this follows the server's number rules.
    const bool v16 = options_.server_version_num >= 160000;
    if (v16) {
        const std::size_t j = skip_prefixed_integer(i);
        if (j != i)
            return j;
    }
    std::size_t j;
    if (at(i) == '.') {
        j = skip_digits(i + 1, v16);
    } else {
        j = skip_digits(i, v16);
        // "1..10" is 1, .., 10 (the server's numericfail rule).
        if (at(j) == '.' && at(j + 1) != '.')
            j = skip_digits(j + 1, v16);
    }
    if ((at(j) | 0x20) == 'e' && j < s_.size()) {
        std::size_t k = j + 1;
        if (at(k) == '+' || at(k) == '-')
            ++k;
        if (is_digit(at(k)))
            j = skip_digits(k, v16);
    }
    return j;
}

bool Lexer::continuation_follows(std::size_t i) const
{
    // The server joins two string literals separated by white space that holds a newline
    // ({quotecontinue} in scan.l); the second part is then lexed in the first part's mode, which
    // matters for E'' (backslash escapes). -- comments count as white space here, /* */ do not.
    std::size_t j = i;
    for (;;) {
        const unsigned char c = at(j);
        if (j < s_.size() && (c == ' ' || c == '\t' || c == '\f' || c == '\v'))
            ++j;
        else if (c == '-' && at(j + 1) == '-')
            j = skip_line_comment(j);
        else
            break;
    }
    if (j >= s_.size() || (s_[j] != '\n' && s_[j] != '\r'))
        return false;
    ++j;
    for (;;) {
        if (j < s_.size() && is_space_byte(at(j)))
            ++j;
        else if (at(j) == '-' && at(j + 1) == '-')
            j = skip_line_comment(j);
        else
            break;
    }
    return j < s_.size() && s_[j] == '\'';
}

void Lexer::lex_string(std::size_t begin, std::size_t quote, QuoteMode mode, Token* tok)
{
    tok->kind = TokenKind::String;
    tok->begin = begin;
    tok->end = skip_quoted(quote, mode, &tok->terminated);
    if (tok->terminated && continuation_follows(tok->end)) {
        tok->continues = true;
        pending_continuation_ = true;
        pending_mode_ = mode;
    }
}

void Lexer::lex_dollar(Token* tok)
{
    const std::size_t n = s_.size();
    std::size_t i = pos_ + 1;
    if (is_ident_start(at(i)) && i < n) {
        ++i;
        while (i < n && is_dolq_cont(at(i)))
            ++i;
    }
    if (i < n && s_[i] == '$') {
        const std::string_view delim = s_.substr(pos_, i + 1 - pos_);
        tok->kind = TokenKind::DollarString;
        tok->body_begin = i + 1;
        tok->body_end = n;
        tok->end = n;
        tok->terminated = false;
        // A tag has no '$', so a failed comparison stops before the next '$': linear overall.
        for (std::size_t j = i + 1; j < n; ++j) {
            if (s_[j] != '$' || n - j < delim.size())
                continue;
            std::size_t k = 1;
            while (k < delim.size() && s_[j + k] == delim[k])
                ++k;
            if (k == delim.size()) {
                tok->body_end = j;
                tok->end = j + delim.size();
                tok->terminated = true;
                break;
            }
        }
        return;
    }
    if (is_digit(at(pos_ + 1))) {
        std::size_t j = pos_ + 1;
        while (is_digit(at(j)) && j < n)
            ++j;
        tok->kind = TokenKind::Param;
        tok->end = j;
        return;
    }
    // A '$' that opens nothing is a token of its own; what follows is lexed afresh.
    tok->kind = TokenKind::Punct;
    tok->end = pos_ + 1;
}

void Lexer::lex_word(Token* tok)
{
    const std::size_t n = s_.size();
    const unsigned char lower = at(pos_) | 0x20;
    if (pos_ + 1 < n && s_[pos_ + 1] == '\'') {
        switch (lower) {
        case 'e':
            lex_string(pos_, pos_ + 1, QuoteMode::Escape, tok);
            return;
        case 'b':
        case 'x':
            lex_string(pos_, pos_ + 1, QuoteMode::Bits, tok);
            return;
        case 'n':
            lex_string(pos_, pos_ + 1,
                       options_.standard_conforming_strings ? QuoteMode::Standard : QuoteMode::Escape,
                       tok);
            return;
        default:
            break;
        }
    }
    if (lower == 'u' && pos_ + 2 < n && s_[pos_ + 1] == '&') {
        if (s_[pos_ + 2] == '\'') {
            lex_string(pos_, pos_ + 2, QuoteMode::Standard, tok);
            return;
        }
        if (s_[pos_ + 2] == '"') {
            tok->kind = TokenKind::QuotedIdent;
            tok->end = skip_quoted_ident(pos_ + 2, &tok->terminated);
            return;
        }
    }
    std::size_t j = pos_ + 1;
    while (j < n && is_ident_cont(at(j)))
        ++j;
    tok->kind = TokenKind::Ident;
    tok->end = j;
}

bool Lexer::next(Token* tok)
{
    const std::size_t n = s_.size();
    if (pos_ >= n)
        return false;
    Token t;
    t.begin = pos_;
    const unsigned char c = at(pos_);
    if (is_space_byte(c)) {
        std::size_t j = pos_;
        while (j < n && is_space_byte(at(j)))
            ++j;
        t.kind = TokenKind::Space;
        t.end = j;
    } else if (starts_comment(pos_)) {
        if (c == '-') {
            t.kind = TokenKind::LineComment;
            t.end = skip_line_comment(pos_);
        } else {
            t.kind = TokenKind::BlockComment;
            t.end = skip_block_comment(pos_, &t.terminated);
        }
    } else {
        const bool continuation = pending_continuation_ && c == '\'';
        pending_continuation_ = false;
        if (c == '\'') {
            const QuoteMode mode = continuation ? pending_mode_
                                   : options_.standard_conforming_strings ? QuoteMode::Standard
                                                                          : QuoteMode::Escape;
            lex_string(pos_, pos_, mode, &t);
            t.is_continuation = continuation;
        } else if (c == '"') {
            t.kind = TokenKind::QuotedIdent;
            t.end = skip_quoted_ident(pos_, &t.terminated);
        } else if (c == '$') {
            lex_dollar(&t);
        } else if (is_digit(c) || (c == '.' && is_digit(at(pos_ + 1)))) {
            t.kind = TokenKind::Number;
            t.end = skip_number(pos_);
        } else if (is_ident_start(c)) {
            lex_word(&t);
        } else if (is_op_char(c)) {
            std::size_t j = pos_ + 1;
            // The server cuts an operator where a comment starts ("+--x" is + and a comment).
            while (j < n && is_op_char(at(j)) && !starts_comment(j))
                ++j;
            t.kind = TokenKind::Operator;
            t.end = j;
        } else {
            t.kind = TokenKind::Punct;
            t.end = pos_ + 1;
        }
    }
    pos_ = t.end;
    *tok = t;
    return true;
}

}  // namespace agentguard::detail
