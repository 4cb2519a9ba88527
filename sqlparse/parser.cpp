#include "sqlparse/parser.hpp"

#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/function_body_internal.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/model_builder_internal.hpp"
#include "sqlparse/pg_tree_internal.hpp"
#include "sqlparse/script_reader.hpp"

#include <pg_query.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <cstdint>
#include <memory>
#include <span>

namespace dbadvise::sqlparse {

namespace {


// libpg_query returns its results by value with heap-owned members; each is released by its
// own pg_query_free_* function. These owners make that release automatic.
struct ParseResultDeleter {
    void operator()(PgQueryParseResult* result) const {
        pg_query_free_parse_result(*result);
        delete result;
    }
};
struct FingerprintResultDeleter {
    void operator()(PgQueryFingerprintResult* result) const {
        pg_query_free_fingerprint_result(*result);
        delete result;
    }
};
struct NormalizeResultDeleter {
    void operator()(PgQueryNormalizeResult* result) const {
        pg_query_free_normalize_result(*result);
        delete result;
    }
};
using ParseResultPtr = std::unique_ptr<PgQueryParseResult, ParseResultDeleter>;
using FingerprintResultPtr = std::unique_ptr<PgQueryFingerprintResult, FingerprintResultDeleter>;
using NormalizeResultPtr = std::unique_ptr<PgQueryNormalizeResult, NormalizeResultDeleter>;

ParseResultPtr pg_parse(const std::string& sql) {
    return ParseResultPtr(new PgQueryParseResult(pg_query_parse(sql.c_str())));
}

// Batches of a few dozen statements parse fastest: one pg_query_parse call per statement pays
// a fixed setup cost each time, while a whole large script in one call builds one huge
// memory context and JSON text (measured: 16-64 statements per call beat both).
constexpr std::size_t k_batch_statements = 32;
constexpr int k_batch_bytes = 16 * 1024;

constexpr std::string_view k_nul_message = "invalid NUL byte (0x00) in SQL text";
constexpr std::string_view k_empty_message = "no SQL statement in the text";

// PostgreSQL's grammar builds `a || b || c ...` as a left-deep tree without recursion, but
// libpg_query's JSON output (and its fingerprint and normalize walks) recurse once per level
// and overflow an 8 MB stack at some 70,000 chained operators. Such statements are refused
// before they reach libpg_query; ANDs, ORs and list commas do not nest and do not count.
constexpr int k_max_operator_chain = 10000;

// Offset of the operator that makes the chain too long, or -1.
int overlong_operator_chain(std::string_view text, std::span<const Token> tokens) {
    int run = 0;
    for (const Token& token : tokens) {
        if (token.kind == TokenKind::op) {
            if (++run > k_max_operator_chain) {
                return token.begin;
            }
        } else if (token.kind == TokenKind::comma) {
            run = 0;
        } else if (token.kind == TokenKind::identifier && token.end - token.begin <= 3 &&
                   (token_is(text, token, "and") || token_is(text, token, "or"))) {
            run = 0;
        }
    }
    return -1;
}

std::string overlong_message() {
    return "expression too deeply nested: more than " + std::to_string(k_max_operator_chain) +
           " chained operators";
}

std::string too_large_message(std::size_t size, std::size_t limit) {
    const auto mib = [](std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); };
    return fmt::format("statement of {:.1f} MiB not checked: longer than the {:.1f} MiB limit",
                       mib(size), mib(limit));
}

// libpg_query reports the error position as a 1-based count of characters (PostgreSQL's
// pg_mbstrlen) into the string it parsed; convert it to a byte offset into that string.
int byte_offset_of_cursor(std::string_view parsed, int cursorpos) {
    int offset = 0;
    const int size = static_cast<int>(parsed.size());
    for (int chars = 1; chars < cursorpos && offset < size; ++chars) {
        offset += utf8_char_length(static_cast<unsigned char>(parsed[static_cast<std::size_t>(offset)]));
    }
    return std::min(offset, size);
}

ParseError make_error(std::string message, int cursorpos, std::string_view parsed, int base, Span span) {
    ParseError e;
    e.message = std::move(message);
    e.offset = cursorpos > 0 ? base + byte_offset_of_cursor(parsed, cursorpos) : span.begin;
    e.statement_span = span;
    return e;
}

ParseError make_error(const PgQueryError& error, std::string_view parsed, int base, Span span) {
    return make_error(error.message != nullptr ? error.message : "parse error", error.cursorpos, parsed, base, span);
}

ParseError make_error(detail::TreeError&& error, std::string_view parsed, int base, Span span) {
    return make_error(std::move(error.message), error.cursorpos, parsed, base, span);
}

// The code a token kind contributes to the fingerprint. Frozen: finding ids and users'
// baselines are derived from fingerprints, so a code never changes, whatever the order of
// TokenKind (a new kind takes a new code).
unsigned char fingerprint_code(TokenKind kind) {
    switch (kind) {
    case TokenKind::identifier: return 0;
    case TokenKind::quoted_identifier: return 1;
    case TokenKind::unicode_identifier: return 2;
    case TokenKind::string: return 3;
    case TokenKind::escape_string: return 4;
    case TokenKind::national_string: return 5;
    case TokenKind::unicode_string: return 6;
    case TokenKind::dollar_string: return 7;
    case TokenKind::bit_string: return 8;
    case TokenKind::hex_string: return 9;
    case TokenKind::integer: return 10;
    case TokenKind::numeric: return 11;
    case TokenKind::parameter: return 12;
    case TokenKind::op: return 13;
    case TokenKind::typecast: return 14;
    case TokenKind::colon_equals: return 15;
    case TokenKind::dot_dot: return 16;
    case TokenKind::open_paren: return 17;
    case TokenKind::close_paren: return 18;
    case TokenKind::open_bracket: return 19;
    case TokenKind::close_bracket: return 20;
    case TokenKind::comma: return 21;
    case TokenKind::semicolon: return 22;
    case TokenKind::colon: return 23;
    case TokenKind::dot: return 24;
    case TokenKind::psql_variable: return 25;
    case TokenKind::line_comment: return 26;
    case TokenKind::block_comment: return 27;
    case TokenKind::other: return 28;
    }
    return 255;
}

// FNV-1a over the statement's tokens, so that two statements that differ only in literal
// values, parameter numbers, comments, whitespace or keyword case hash alike.
class TokenHash {
public:
    void add(std::string_view text, const Token& token) {
        if (is_literal_kind(token.kind) || token.kind == TokenKind::parameter ||
            token.kind == TokenKind::psql_variable) {
            mix('?');
        } else {
            mix(fingerprint_code(token.kind));
            for (int i = token.begin; i < token.end; ++i) {
                auto c = static_cast<unsigned char>(text[static_cast<std::size_t>(i)]);
                if (token.kind == TokenKind::identifier && c >= 'A' && c <= 'Z') {
                    c = static_cast<unsigned char>(c - 'A' + 'a');
                }
                mix(c);
            }
        }
        mix(' ');
    }
    std::uint64_t value() const { return m_hash; }

private:
    void mix(unsigned char byte) {
        m_hash ^= byte;
        m_hash *= 1099511628211ULL;
    }
    std::uint64_t m_hash = 14695981039346656037ULL;
};

std::uint64_t token_hash(std::string_view text, std::span<const Token> tokens) {
    TokenHash hash;
    for (const Token& token : tokens) hash.add(text, token);
    return hash.value();
}

std::string token_fingerprint(std::string_view text, std::span<const Token> tokens) {
    std::uint64_t hash = token_hash(text, tokens);
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = k_hex[hash & 0xF];
        hash >>= 4;
    }
    return out;
}

// The outcome of one libpg_query parse, ready for the model builder: its tree and the part of
// the script it covers. Or an error to emit as it is.
struct Unit {
    int begin = 0;
    int end = 0;
    std::optional<ParsedStatement> error;
    int document = -1;     // index into Batch::documents
    bool readable = true;  // false: the tree was too deep to read
};

// Statements on their way to the model: the tokens of their pieces (in source order) and the
// units that parse them. Batches are recycled, so their vectors keep their capacity.
struct Batch {
    std::vector<Token> tokens;
    std::vector<Unit> units;
    std::vector<detail::JsonDocument> documents; // the units' trees, built on the parsing thread
    std::size_t documents_used = 0;              // the rest keep their storage for later batches

    void clear() {
        tokens.clear();
        units.clear();
        documents_used = 0;
    }

    // The next unused tree; it counts as used once take_document() says so.
    detail::JsonDocument& next_document() {
        if (documents.size() <= documents_used) {
            documents.emplace_back();
        }
        return documents[documents_used];
    }
    int take_document() { return static_cast<int>(documents_used++); }
};

using BatchPtr = std::unique_ptr<Batch>;

// Thrown inside the parsing thread when the consumer has stopped (its sink threw).
struct Stopped {};

// Texts below this size are parsed on the calling thread: starting a thread costs more than
// it saves there.
constexpr std::size_t k_background_min_bytes = 256 * 1024;
// Batches prepared ahead of the consumer: enough to keep both threads busy, few enough to
// keep memory bounded (a batch holds at most k_batch_bytes of SQL and its trees).
constexpr std::size_t k_batches_in_flight = 4;

// Turns a script into ParsedStatements in two stages. prepare() lexes the text, cuts it into
// batches and runs libpg_query on them; consume() reads their JSON, builds the query model of
// every statement and hands it to the sink. For a large text prepare() runs on
// a second thread, so that libpg_query works on the next batch while the model builder and
// the sink (the lint rules) work on this one. The sink always runs on the calling thread, in
// source order.
class ScriptParser {
public:
    // `text` is the script, or with `final` false the part of it read so far (from the first
    // item `reader` has not returned yet); `at_start`: it starts at the script's beginning.
    ScriptParser(std::string_view text, const ParseOptions& options,
                 const std::function<void(ParsedStatement&&)>& sink, ScriptReader& reader,
                 bool final, bool at_start)
        : m_text(text), m_options(options), m_sink(sink), m_reader(reader), m_final(final),
          m_at_start(at_start) {}

    // After run(): the bytes at the start of the text whose items were all handed out.
    std::size_t consumed() const { return m_consumed; }

    void run() {
        const bool background =
            m_options.threading == ParseOptions::Threading::always ||
            (m_options.threading == ParseOptions::Threading::automatic &&
             m_text.size() >= k_background_min_bytes && std::thread::hardware_concurrency() > 1);
        if (background) {
            run_in_background();
            return;
        }
        Batch batch;
        prepare([&batch]() { return &batch; }, [this](Batch& ready) {
            consume(ready);
            ready.clear();
        });
    }

private:
    // --- stage 1: lexing and libpg_query ------------------------------------------------

    // A statement on its way into a batch: its text, its tokens in Batch::tokens and what
    // must change in its text before libpg_query sees it.
    struct Piece {
        int begin = 0;
        int end = 0;             // the terminator (`;`, `\g`, ...) is not included
        int next = 0;            // after the terminator
        std::uint32_t tokens_begin = 0;
        std::uint32_t tokens_end = 0;
        std::uint32_t edits_begin = 0; // into m_edits
        std::uint32_t edits_end = 0;
        bool variables = false;
    };

    // A change to a statement's text before libpg_query reads it: a meta-command inside the
    // statement is blanked; a CREATE EXTENSION placeholder (@extschema@) becomes a name of
    // the same size (_extschema_).
    struct TextEdit {
        int begin = 0;
        int end = 0;
        bool name = false;
    };

    // Calls `ready` with each prepared batch, in order; `acquire` gives the batch to fill
    // next (empty).
    template <class Acquire, class Ready>
    void prepare(Acquire acquire, Ready ready) {
        Batch* batch = acquire();
        std::vector<Piece> pending;
        int pending_bytes = 0;
        const auto flush = [&] {
            parse_pieces(*batch, pending);
            pending.clear();
            m_edits.clear();
            pending_bytes = 0;
        };
        const auto hand_over = [&] {
            flush();
            if (!batch->units.empty()) {
                ready(*batch);
                batch = acquire();
            } else {
                batch->tokens.clear();
            }
        };
        // An error or notice that is not a statement of the batch: parse what is pending, then
        // hand it over on its own so that the sink sees everything in source order.
        const auto emit_alone = [&](Unit unit) {
            flush();
            batch->units.push_back(std::move(unit));
            ready(*batch);
            batch = acquire();
        };
        const int size = static_cast<int>(m_text.size());
        // A UTF-8 byte order mark (files saved by some Windows editors) is not SQL; PostgreSQL
        // would read it as part of the first keyword.
        int pos = m_at_start && m_text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
        while (pos < size) {
            const std::size_t first_token = batch->tokens.size();
            std::optional<ScriptItem> item = m_reader.next(m_text, pos, m_final, &batch->tokens);
            if (!item) {
                pos = std::max(pos, m_reader.read_to()); // comments read so far are dropped
                break;
            }
            pos = item->next;
            if (item->kind == ScriptItem::Kind::meta_command) {
                if (!item->command.known) {
                    emit_alone(unknown_command(item->command));
                }
                continue;
            }
            if (item->kind != ScriptItem::Kind::statement) {
                continue;
            }
            std::size_t tokens_before = first_token;
            if (std::any_of(item->holes.begin(), item->holes.end(),
                            [](const MetaCommand& hole) { return !hole.known; })) {
                // The notices come first; the statement goes into the batch after them.
                std::vector<Token> own(batch->tokens.begin() + static_cast<std::ptrdiff_t>(first_token),
                                       batch->tokens.end());
                batch->tokens.resize(first_token);
                for (const MetaCommand& hole : item->holes) {
                    if (!hole.known) {
                        emit_alone(unknown_command(hole));
                    }
                }
                tokens_before = batch->tokens.size();
                batch->tokens.insert(batch->tokens.end(), own.begin(), own.end());
            }
            const std::span<const Token> own =
                std::span<const Token>(batch->tokens).subspan(tokens_before);
            int bad_offset = -1;
            std::string message;
            if (item->nul_offset >= 0) {
                // libpg_query reads C strings: a NUL would silently cut the statement short.
                bad_offset = item->nul_offset;
                message = std::string(k_nul_message);
            } else if (const int overlong = overlong_operator_chain(m_text, own); overlong >= 0) {
                bad_offset = overlong;
                message = overlong_message();
            }
            ParseError::Kind kind = ParseError::Kind::statement;
            // The statement's own size, from its first token: comments before it are not
            // parsed and do not count.
            const auto own_bytes = static_cast<std::size_t>(item->end - own.front().begin);
            if (m_options.max_statement_bytes > 0 && own_bytes > m_options.max_statement_bytes) {
                bad_offset = own.front().begin;
                message = too_large_message(own_bytes, m_options.max_statement_bytes);
                kind = ParseError::Kind::too_large;
            }
            if (bad_offset >= 0) {
                const Span span{own.front().begin, own.back().end};
                batch->tokens.resize(tokens_before);
                ParseError error{std::move(message), bad_offset, span};
                error.kind = kind;
                emit_alone(error_unit(std::move(error)));
                continue;
            }
            // The pieces of one parse are one text, comments between them included (blanked):
            // a long comment since the previous piece starts a new one instead.
            if (!pending.empty() && item->begin - pending.back().end >= k_batch_bytes) {
                flush();
            }
            Piece piece;
            piece.begin = item->begin;
            piece.end = item->end;
            piece.next = item->next;
            piece.tokens_begin = static_cast<std::uint32_t>(tokens_before);
            piece.tokens_end = static_cast<std::uint32_t>(batch->tokens.size());
            piece.variables = item->variables;
            piece.edits_begin = static_cast<std::uint32_t>(m_edits.size());
            for (const MetaCommand& hole : item->holes) {
                m_edits.push_back({hole.begin, std::max(hole.end, hole.name_end), false});
            }
            for (const Span placeholder : item->placeholders) {
                m_edits.push_back({placeholder.begin, placeholder.end, true});
            }
            piece.edits_end = static_cast<std::uint32_t>(m_edits.size());
            pending_bytes += piece.end - (pending.empty() ? piece.begin : pending.back().end);
            pending.push_back(piece);
            if (pending.size() >= k_batch_statements || pending_bytes >= k_batch_bytes) {
                hand_over();
            }
        }
        if (m_final && !m_reader.finished() && m_reader.in_block_comment()) {
            // A `/*` never closed: psql sends it and everything after it, and the server
            // rejects the text. Reported where the comment begins; with no offset when a
            // streaming caller dropped that text already (open_block_comment() told it where).
            const int begin = m_reader.block_comment_begin();
            ParseError error{"unterminated /* comment: the comment is never closed, so psql sends "
                             "the rest of the script with it and the server rejects it; nothing "
                             "after it is checked",
                             begin >= 0 ? begin : -1, begin >= 0 ? Span{begin, size} : Span{}};
            emit_alone(error_unit(std::move(error)));
        }
        // What is left is white space and comments, or an item that may go on in the text
        // still to come; after \quit nothing is read any more.
        m_consumed = m_final || m_reader.finished() ? m_text.size() : static_cast<std::size_t>(pos);
        hand_over();
    }

    Unit unknown_command(const MetaCommand& command) const {
        const std::string_view name = meta_command_name(m_text, command);
        ParseError error;
        error.kind = ParseError::Kind::psql_command;
        error.message = "invalid command \\" + std::string(name) +
                        ": psql does not know this meta-command and skips the rest of its line";
        error.offset = command.begin;
        error.statement_span = {command.begin, command.end};
        return error_unit(std::move(error));
    }

    // A statement with psql variables that parses with neither kind of placeholder: the
    // variables stand for SQL lint cannot see (`\set q 'SELECT ...'` then `:q;`), so it is
    // not checked rather than called wrong.
    ParseError unchecked_variables(const Batch& batch, const Piece& piece, ParseError error) const {
        std::string names;
        for (std::uint32_t t = piece.tokens_begin; t < piece.tokens_end; ++t) {
            const Token& token = batch.tokens[t];
            if (token.kind != TokenKind::psql_variable) {
                continue;
            }
            if (names.size() < 60) {
                names += (names.empty() ? "" : ", ") + std::string(token_text(m_text, token));
            }
            // `at or near "_q"` quotes the placeholder the parser saw: show the variable.
            const std::size_t near = error.message.find("at or near \"");
            const std::size_t close = near == std::string::npos ? near : error.message.rfind('"');
            if (token.begin == error.offset && close != std::string::npos && close >= near + 12) {
                error.message.replace(near + 12, close - (near + 12), token_text(m_text, token));
            }
        }
        error.kind = ParseError::Kind::unchecked;
        error.message = "the statement was not checked: it takes SQL from psql variables (" + names +
                        ") whose value lint does not know, and with placeholders in their place "
                        "it does not parse: " + error.message;
        return error;
    }

    Span trimmed(int begin, int end) const {
        const std::vector<Token> tokens = lex(m_text, begin, end);
        if (tokens.empty()) {
            return {begin, begin};
        }
        return {tokens.front().begin, tokens.back().end};
    }

    static Unit error_unit(ParseError error) {
        Unit unit;
        unit.error.emplace();
        unit.error->error = std::move(error);
        return unit;
    }

    // The text libpg_query parses for pieces [first, last] of `batch`: the script's text with
    // psql variables replaced by placeholders of the same size, meta-commands inside a
    // statement blanked, and whatever lies between two statements that is not SQL
    // (meta-commands, COPY data) blanked, so that offsets stay those of the script.
    void fill_buffer(const Batch& batch, const Piece* first, const Piece* last, bool numbers) {
        const int base = first->begin;
        m_buffer.assign(m_text.substr(static_cast<std::size_t>(base),
                                      static_cast<std::size_t>(last->end - base)));
        const auto blank = [&](int begin, int end) {
            for (int i = begin; i < end; ++i) {
                char& c = m_buffer[static_cast<std::size_t>(i - base)];
                if (c != '\n') {
                    c = ' ';
                }
            }
        };
        for (const Piece* piece = first; piece <= last; ++piece) {
            if (piece->variables) {
                for (std::uint32_t t = piece->tokens_begin; t < piece->tokens_end; ++t) {
                    const Token& token = batch.tokens[t];
                    if (token.kind == TokenKind::psql_variable) {
                        write_variable_placeholder(token_text(m_text, token),
                                                   m_buffer.data() + (token.begin - base), numbers);
                    }
                }
            }
            for (std::uint32_t e = piece->edits_begin; e < piece->edits_end; ++e) {
                const TextEdit& edit = m_edits[e];
                if (!edit.name) {
                    blank(edit.begin, edit.end);
                    continue;
                }
                for (int i = edit.begin; i < edit.end; ++i) {
                    char& c = m_buffer[static_cast<std::size_t>(i - base)];
                    if (c == '@' || c == ':') {
                        c = '_';
                    }
                }
            }
            if (piece != last) {
                const Piece* following = piece + 1;
                const bool plain_gap = following->begin == piece->next &&
                                       m_text[static_cast<std::size_t>(piece->end)] == ';';
                if (!plain_gap) {
                    blank(piece->end, following->begin);
                    m_buffer[static_cast<std::size_t>(piece->end - base)] = ';';
                }
            }
        }
    }

    // Parses the pending pieces in one call; when one of them is wrong, each alone, so that
    // the error points at its statement and the others are still analysed.
    void parse_pieces(Batch& batch, const std::vector<Piece>& pieces) {
        if (pieces.empty()) {
            return;
        }
        if (!parse_range(batch, &pieces.front(), &pieces.back(), pieces.size() == 1)) {
            for (const Piece& piece : pieces) {
                parse_range(batch, &piece, &piece, true);
            }
        }
    }

    // Parses pieces [first, last] into a new unit of `batch`. On a parse error adds the error
    // only when `report_errors`, else returns false having added nothing.
    bool parse_range(Batch& batch, const Piece* first, const Piece* last, bool report_errors) {
        const int begin = first->begin;
        const int end = last->end;
        fill_buffer(batch, first, last, false);
        detail::TreeOutcome outcome = detail::parse_tree(m_buffer.c_str(), batch.next_document());
        if (outcome.error) {
            if (!report_errors) {
                return false;
            }
            ParseError error = make_error(std::move(*outcome.error), m_buffer, begin, trimmed(begin, end));
            if (first == last && first->variables) {
                // A variable may stand for a number where no name can go (`LARGE OBJECT :oid`).
                fill_buffer(batch, first, last, true);
                outcome = detail::parse_tree(m_buffer.c_str(), batch.next_document());
                if (outcome.error) {
                    batch.units.push_back(error_unit(unchecked_variables(batch, *first, std::move(error))));
                    return true;
                }
            } else {
                batch.units.push_back(error_unit(std::move(error)));
                return true;
            }
        }
        Unit unit;
        unit.begin = begin;
        unit.end = end;
        unit.document = batch.take_document();
        unit.readable = outcome.readable;
        batch.units.push_back(std::move(unit));
        return true;
    }

    // --- stage 2: the query model and the sink -------------------------------------------

    // The batch's tokens inside [begin, end): the lexer already produced them when it cut
    // the batch, so statements are not lexed twice.
    static std::span<const Token> tokens_in(const std::vector<Token>& all, int begin, int end) {
        const auto first = std::lower_bound(all.begin(), all.end(), begin,
                                            [](const Token& t, int o) { return t.begin < o; });
        auto last = first;
        while (last != all.end() && last->end <= end) {
            ++last;
        }
        return {first, last};
    }

    void consume(Batch& batch) {
        for (std::size_t k = 0; k < batch.units.size(); ++k) {
            Unit& unit = batch.units[k];
            if (unit.error) {
                m_sink(std::move(*unit.error));
                continue;
            }
            if (!unit.readable) {
                m_sink(unreadable_tree(unit));
                continue;
            }
            const detail::JsonDocument* document = &batch.documents[static_cast<std::size_t>(unit.document)];
            m_extents.assign(document->node_count(), detail::SubtreeExtent{});
            const detail::JsonRef root = document->root();
            for (detail::JsonRef raw : detail::JsonChildren(root["stmts"])) {
                emit_statement(batch, unit, raw);
            }
        }
    }

    ParsedStatement unreadable_tree(const Unit& unit) const {
        ParsedStatement parsed;
        parsed.error = ParseError{"unreadable parse tree from libpg_query", unit.begin,
                                  trimmed(unit.begin, unit.end)};
        return parsed;
    }

    void emit_statement(const Batch& batch, const Unit& unit, detail::JsonRef raw) {
        const int location = unit.begin + static_cast<int>(raw["stmt_location"].integer(0));
        const std::int64_t length = raw["stmt_len"].integer(0);
        const int stop = length > 0 ? std::min(unit.end, location + static_cast<int>(length)) : unit.end;
        const std::span<const Token> tokens = tokens_in(batch.tokens, location, stop);
        const Span span = tokens.empty() ? Span{location, location}
                                         : Span{tokens.front().begin, tokens.back().end};
        const detail::JsonRef stmt = raw["stmt"];
        emit_model(stmt, unit.begin, span, tokens, m_extents, StatementOrigin::script, {});
        const std::string_view type = stmt.node_type();
        if (m_options.function_bodies && (type == "CreateFunctionStmt" || type == "DoStmt")) {
            emit_function_body(stmt, unit.begin, span, tokens);
        }
    }

    // Builds the model of `stmt` (locations relative to `base`) and hands it to the sink.
    // `enclosing`: for a statement in a function body, the fingerprint of the statement whose
    // body it is (see Statement::enclosing_fingerprint).
    void emit_model(detail::JsonRef stmt, int base, Span span, std::span<const Token> tokens,
                    std::span<detail::SubtreeExtent> extents, StatementOrigin origin,
                    std::string_view enclosing) {
        ParsedStatement parsed;
        parsed.statement = detail::build_statement(stmt, m_text, base, span, tokens, extents);
        parsed.statement->origin = origin;
        parsed.statement->enclosing_fingerprint = std::string(enclosing);
        if (m_options.fingerprint && !m_options.libpg_query_fingerprint) {
            parsed.statement->fingerprint = token_fingerprint(m_text, tokens);
        } else if (m_options.fingerprint) {
            const std::string sql = parse_text_of(span, tokens);
            const FingerprintResultPtr fp(new PgQueryFingerprintResult(pg_query_fingerprint(sql.c_str())));
            if (fp->error == nullptr && fp->fingerprint_str != nullptr) {
                parsed.statement->fingerprint = fp->fingerprint_str;
            }
        }
        m_sink(std::move(parsed));
    }

    // The text libpg_query parsed for the statement at `span`, rebuilt from the script and
    // the statement's tokens: psql variables and CREATE EXTENSION placeholders replaced as
    // fill_buffer does, meta-commands between the tokens blanked.
    std::string parse_text_of(Span span, std::span<const Token> tokens) const {
        std::string out(m_text.substr(static_cast<std::size_t>(span.begin),
                                      static_cast<std::size_t>(span.end - span.begin)));
        int previous_end = span.begin;
        for (const Token& token : tokens) {
            if (token.begin > previous_end &&
                m_text.substr(static_cast<std::size_t>(previous_end),
                              static_cast<std::size_t>(token.begin - previous_end))
                        .find('\\') != std::string_view::npos) {
                for (int i = previous_end; i < token.begin; ++i) {
                    char& c = out[static_cast<std::size_t>(i - span.begin)];
                    c = c == '\n' ? c : ' ';
                }
            }
            previous_end = token.end;
            char* at = out.data() + (token.begin - span.begin);
            if (token.kind == TokenKind::psql_variable) {
                write_variable_placeholder(token_text(m_text, token), at, false);
            } else if (token.kind == TokenKind::identifier && *at == '@') {
                std::replace_if(at, at + token.size(), [](char c) { return c == '@' || c == ':'; }, '_');
            }
        }
        return out;
    }

    // --- function bodies -----------------------------------------------------------------

    // The statements a CREATE FUNCTION / PROCEDURE or DO statement's body runs, each handed to
    // the sink after the statement itself (see function_body_internal.hpp).
    void emit_function_body(detail::JsonRef stmt, int base, Span span,
                            std::span<const Token> tokens) {
        // The function's or DO block's statement without its body: a string body is one
        // literal, which the fingerprint leaves out anyway; a BEGIN ATOMIC body is cut off.
        // Edits inside the body leave it alone, and the same statement in two functions
        // gets two fingerprints.
        const std::string enclosing =
            m_options.fingerprint ? token_fingerprint(m_text, tokens.first(atomic_body_start(tokens)))
                                  : std::string();
        const detail::JsonRef atomic = stmt.body()["sql_body"]["List"]["items"].first_child()["List"]["items"];
        if (atomic.valid()) {
            emit_atomic_body(atomic, base, tokens, enclosing);
            return;
        }
        const std::string parse_text = parse_text_of(span, tokens);
        detail::FunctionBody body = detail::function_body(stmt, m_text, base, span, tokens, parse_text);
        if (body.error) {
            ParsedStatement parsed;
            parsed.error = std::move(body.error);
            parsed.error->enclosing_fingerprint = enclosing;
            m_sink(std::move(parsed));
            return;
        }
        const StatementOrigin origin =
            body.quoted ? StatementOrigin::quoted_function_body : StatementOrigin::function_body;
        for (const detail::BodySql& sql : body.sql) {
            emit_body_sql(sql, origin, enclosing);
        }
    }

    // The index of the top-level BEGIN of `BEGIN ATOMIC` in a CREATE FUNCTION statement's
    // tokens, or tokens.size() when there is none.
    std::size_t atomic_body_start(std::span<const Token> tokens) const {
        for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
            if (tokens[i].depth == 0 && token_is(m_text, tokens[i], "begin") &&
                token_is(m_text, tokens[i + 1], "atomic")) {
                return i;
            }
        }
        return tokens.size();
    }

    // BEGIN ATOMIC ... END: libpg_query parsed the statements with the function; their text
    // is cut at the body's top-level semicolons.
    void emit_atomic_body(detail::JsonRef statements, int base, std::span<const Token> tokens,
                          std::string_view enclosing) {
        const std::size_t first = atomic_body_start(tokens);
        if (first + 2 >= tokens.size() || !token_is(m_text, tokens.back(), "end")) {
            return;
        }
        std::vector<std::span<const Token>> parts;
        std::size_t start = first + 2;
        for (std::size_t i = start; i < tokens.size(); ++i) {
            const bool last = i + 1 == tokens.size();
            if (tokens[i].kind == TokenKind::semicolon || last) {
                if (i > start) {
                    parts.push_back(tokens.subspan(start, i - start));
                }
                start = i + 1;
            }
        }
        if (parts.size() != statements.size()) {
            return; // the text and the tree disagree: better no model than a wrong one
        }
        std::size_t k = 0;
        for (detail::JsonRef statement : detail::JsonChildren(statements)) {
            const std::span<const Token> part = parts[k++];
            emit_model(statement, base, {part.front().begin, part.back().end}, part, m_extents,
                       StatementOrigin::function_body, enclosing);
        }
    }

    // Parses SQL found in a function body and hands its statements (or its error) to the sink.
    void emit_body_sql(const detail::BodySql& sql, StatementOrigin origin, std::string_view enclosing) {
        const Span whole{sql.begin, sql.begin + static_cast<int>(sql.parse_text.size())};
        detail::TreeOutcome outcome = detail::parse_tree(sql.parse_text.c_str(), m_body_document);
        if (outcome.error) {
            ParsedStatement parsed;
            parsed.error = make_error(std::move(*outcome.error), sql.parse_text, sql.begin, whole);
            parsed.error->kind = ParseError::Kind::function_body;
            parsed.error->enclosing_fingerprint = std::string(enclosing);
            m_sink(std::move(parsed));
            return;
        }
        if (!outcome.readable) {
            return;
        }
        m_body_tokens.clear();
        lex(sql.parse_text, 0, static_cast<int>(sql.parse_text.size()), m_body_tokens);
        for (Token& token : m_body_tokens) {
            token.begin += sql.begin;
            token.end += sql.begin;
        }
        m_body_extents.assign(m_body_document.node_count(), detail::SubtreeExtent{});
        for (detail::JsonRef raw : detail::JsonChildren(m_body_document.root()["stmts"])) {
            const int location = sql.begin + static_cast<int>(raw["stmt_location"].integer(0));
            const std::int64_t length = raw["stmt_len"].integer(0);
            const int stop = length > 0 ? std::min(whole.end, location + static_cast<int>(length)) : whole.end;
            const std::span<const Token> tokens = tokens_in(m_body_tokens, location, stop);
            if (tokens.empty()) {
                continue;
            }
            emit_model(raw["stmt"], sql.begin, {tokens.front().begin, tokens.back().end}, tokens,
                       m_body_extents, origin, enclosing);
        }
    }

    // --- the two stages on two threads ---------------------------------------------------

    void run_in_background() {
        std::mutex mutex;
        std::condition_variable changed;
        std::deque<BatchPtr> full;     // prepared, in source order
        std::vector<BatchPtr> spare;   // consumed, ready for reuse
        std::size_t created = 0;
        bool done = false;
        bool stop = false;
        std::exception_ptr failure;
        BatchPtr filling; // owned by the preparing thread between acquire and ready

        std::thread preparer([&] {
            try {
                prepare(
                    [&]() -> Batch* {
                        std::unique_lock lock(mutex);
                        changed.wait(lock, [&] {
                            return stop || !spare.empty() || created < k_batches_in_flight;
                        });
                        if (stop) {
                            throw Stopped{};
                        }
                        if (!spare.empty()) {
                            filling = std::move(spare.back());
                            spare.pop_back();
                        } else {
                            filling = std::make_unique<Batch>();
                            ++created;
                        }
                        return filling.get();
                    },
                    [&](Batch&) {
                        const std::lock_guard lock(mutex);
                        full.push_back(std::move(filling));
                        changed.notify_all();
                    });
            } catch (const Stopped&) {
            } catch (...) {
                const std::lock_guard lock(mutex);
                failure = std::current_exception();
            }
            const std::lock_guard lock(mutex);
            done = true;
            changed.notify_all();
        });

        const auto halt = [&] {
            {
                const std::lock_guard lock(mutex);
                stop = true;
                changed.notify_all();
            }
            preparer.join();
        };
        try {
            while (true) {
                BatchPtr batch;
                {
                    std::unique_lock lock(mutex);
                    changed.wait(lock, [&] { return !full.empty() || done; });
                    if (full.empty()) {
                        break;
                    }
                    batch = std::move(full.front());
                    full.pop_front();
                }
                consume(*batch);
                batch->clear();
                const std::lock_guard lock(mutex);
                spare.push_back(std::move(batch));
                changed.notify_all();
            }
        } catch (...) {
            halt();
            throw;
        }
        preparer.join();
        if (failure) {
            std::rethrow_exception(failure);
        }
    }

    std::string_view m_text;
    const ParseOptions& m_options;
    const std::function<void(ParsedStatement&&)>& m_sink;
    ScriptReader& m_reader;
    bool m_final;
    bool m_at_start;
    std::size_t m_consumed = 0;                    // stage 1, read after run()
    std::string m_buffer;                          // stage 1: the text handed to libpg_query
    std::vector<TextEdit> m_edits;                 // stage 1: edits of the pending pieces
    std::vector<detail::SubtreeExtent> m_extents;  // stage 2: per node of the current unit's tree
    detail::JsonDocument m_body_document;          // stage 2: a function body's tree
    std::vector<detail::SubtreeExtent> m_body_extents;
    std::vector<Token> m_body_tokens;
};

// Copies `sql` for libpg_query, which needs a C string; an embedded NUL is an error.
// A text that would overflow libpg_query's stack is refused too (see k_max_operator_chain).
std::expected<std::string, ParseError> c_string(std::string_view sql) {
    if (const auto nul = sql.find('\0'); nul != std::string_view::npos) {
        return std::unexpected(ParseError{std::string(k_nul_message), static_cast<int>(nul),
                                          {0, static_cast<int>(sql.size())}});
    }
    const std::vector<Token> tokens = lex(sql);
    if (const int overlong = overlong_operator_chain(sql, tokens); overlong >= 0) {
        return std::unexpected(ParseError{overlong_message(), overlong, {0, static_cast<int>(sql.size())}});
    }
    return std::string(sql);
}

} // namespace

ScriptFeed::ScriptFeed(const ParseOptions& options)
    : m_options(options), m_reader(std::make_unique<ScriptReader>(ScriptOptions{options.psql})) {}

ScriptFeed::~ScriptFeed() = default;

std::size_t ScriptFeed::feed(std::string_view text, bool final,
                             const std::function<void(ParsedStatement&&)>& sink) {
    constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    if (!m_started && !final && text.size() < k_bom.size() && k_bom.starts_with(text)) {
        return 0; // a byte order mark may be arriving: wait for the rest
    }
    ScriptParser parser(text, m_options, sink, *m_reader, final, !m_started);
    m_started = true;
    parser.run();
    const std::size_t consumed = parser.consumed();
    m_reader->discard(text, static_cast<int>(consumed));
    return consumed;
}

bool ScriptFeed::finished() const { return m_reader->finished(); }

std::optional<int> ScriptFeed::open_block_comment() const {
    if (!m_reader->in_block_comment()) return std::nullopt;
    return m_reader->block_comment_begin();
}

void parse_script(std::string_view text, const ParseOptions& options,
                  const std::function<void(ParsedStatement&&)>& sink) {
    ScriptFeed(options).feed(text, true, sink);
}

std::vector<ParsedStatement> parse_script(std::string_view text, const ParseOptions& options) {
    std::vector<ParsedStatement> out;
    parse_script(text, options, [&out](ParsedStatement&& s) { out.push_back(std::move(s)); });
    return out;
}

std::vector<ParsedStatement> parse_script(std::string_view text) {
    return parse_script(text, ParseOptions{});
}

ParsedStatement parse_statement(std::string_view text) {
    std::optional<ParsedStatement> first;
    ParseOptions options;
    options.psql = false;
    options.function_bodies = false;
    parse_script(text, options, [&first](ParsedStatement&& s) {
        if (!first) {
            first = std::move(s);
        }
    });
    if (first) {
        return std::move(*first);
    }
    ParsedStatement empty;
    empty.error = ParseError{std::string(k_empty_message), 0, {0, static_cast<int>(text.size())}};
    return empty;
}

bool parses(std::string_view sql) {
    const auto copy = c_string(sql);
    if (!copy) {
        return false;
    }
    const ParseResultPtr result = pg_parse(*copy);
    if (result->error != nullptr || result->parse_tree == nullptr) {
        return false;
    }
    // An empty or comment-only text parses to no statement: not a usable rewrite.
    return std::string_view(result->parse_tree).find("\"stmt\"") != std::string_view::npos;
}

std::string token_fingerprint(std::string_view sql) {
    const std::vector<Token> tokens = lex(sql);
    return token_fingerprint(sql, tokens);
}

std::expected<std::string, ParseError> normalize(std::string_view sql) {
    const auto copy = c_string(sql);
    if (!copy) {
        return std::unexpected(copy.error());
    }
    const NormalizeResultPtr result(new PgQueryNormalizeResult(pg_query_normalize(copy->c_str())));
    if (result->error != nullptr) {
        return std::unexpected(make_error(*result->error, *copy, 0, {0, static_cast<int>(sql.size())}));
    }
    return std::string(result->normalized_query != nullptr ? result->normalized_query : "");
}

std::expected<std::string, ParseError> fingerprint(std::string_view sql) {
    const auto copy = c_string(sql);
    if (!copy) {
        return std::unexpected(copy.error());
    }
    const FingerprintResultPtr result(new PgQueryFingerprintResult(pg_query_fingerprint(copy->c_str())));
    if (result->error != nullptr) {
        return std::unexpected(make_error(*result->error, *copy, 0, {0, static_cast<int>(sql.size())}));
    }
    return std::string(result->fingerprint_str != nullptr ? result->fingerprint_str : "");
}

} // namespace dbadvise::sqlparse
