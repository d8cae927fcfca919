// A byte-level SQL tokenizer that finds token boundaries the way the PostgreSQL server lexer does
// (src/backend/parser/scan.l), for normalisation and redaction. Internal to the core.
//
// It only decides where tokens start and end and what kind they are; it never interprets values.
// The boundaries of literals and comments must match the server exactly, because text inside a
// literal is kept verbatim while text outside may be collapsed or dropped: a disagreement would let
// two different statements normalise to the same text. Where the server would raise a syntax error,
// any answer is acceptable. Linear time, no recursion, never reads past the view.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/text.hpp"

namespace agentguard::detail {

enum class TokenKind : unsigned char {
    Space,         // [ \t\n\r\f\v]+
    LineComment,   // -- up to, not including, the end of the line
    BlockComment,  // /* ... */, nested
    Ident,         // identifier or keyword
    Number,        // numeric literal
    Param,         // $1
    Operator,      // run of operator characters
    Punct,         // any other single byte: ( ) , ; . : [ ] $ and the like
    String,        // '...', E'...', B'...', X'...', N'...', U&'...' or a continuation part of one
    QuotedIdent,   // "..." or U&"..."
    DollarString,  // $tag$...$tag$
};

struct Token {
    TokenKind kind = TokenKind::Punct;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool terminated = true;       // false: quote or comment still open at the end of the input
    bool continues = false;       // String: the server continues it with the next String token
    bool is_continuation = false; // String: a continuation part of the previous String token
    std::size_t body_begin = 0;   // DollarString: the text between the delimiters
    std::size_t body_end = 0;
};

inline bool is_separator(const Token& t)
{
    return t.kind == TokenKind::Space || t.kind == TokenKind::LineComment ||
           (t.kind == TokenKind::BlockComment && t.terminated);
}

bool is_space_byte(unsigned char c);
bool is_ident_start(unsigned char c);
bool is_ident_cont(unsigned char c);
bool is_op_char(unsigned char c);
bool is_digit(unsigned char c);

class Lexer {
public:
    Lexer(std::string_view sql, const LexOptions& options);

    // The next token, or false at the end of the input.
    bool next(Token* tok);

private:
    enum class QuoteMode : unsigned char { Standard, Escape, Bits };

    unsigned char at(std::size_t i) const;
    bool starts_comment(std::size_t i) const;
    std::size_t skip_line_comment(std::size_t i) const;
    std::size_t skip_block_comment(std::size_t i, bool* terminated) const;
    std::size_t skip_quoted(std::size_t i, QuoteMode mode, bool* terminated) const;
    std::size_t skip_quoted_ident(std::size_t i, bool* terminated) const;
    std::size_t skip_number(std::size_t i) const;
    std::size_t skip_digits(std::size_t i, bool underscores) const;
    std::size_t skip_prefixed_integer(std::size_t i) const;
    bool continuation_follows(std::size_t i) const;

    void lex_string(std::size_t begin, std::size_t quote, QuoteMode mode, Token* tok);
    void lex_dollar(Token* tok);
    void lex_word(Token* tok);

    std::string_view s_;
    LexOptions options_;
    std::size_t pos_ = 0;
    bool pending_continuation_ = false;
    QuoteMode pending_mode_ = QuoteMode::Standard;
};

}  // namespace agentguard::detail
