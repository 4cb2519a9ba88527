#include "analyzer/change_script.hpp"

#include "analyzer/rule_registry.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace dbadvise::analyzer {

namespace {

constexpr std::array k_order = {
    ChangeKind::extension,     ChangeKind::statistics, ChangeKind::create_index,
    ChangeKind::rebuild_index, ChangeKind::drop_index, ChangeKind::maintenance,
    ChangeKind::setting,       ChangeKind::check,      ChangeKind::rewrite,
    ChangeKind::other,
};

std::string upper_words(std::string_view text, std::size_t words) {
    std::string out;
    std::size_t seen = 0;
    bool in_word = false;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word && ++seen == words) break;
            in_word = false;
            continue;
        }
        if (!in_word && !out.empty()) out.push_back(' ');
        in_word = true;
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    return out;
}

// Runs of white space as one space: two findings that suggest the same statement formatted
// differently give one change.
std::string collapse(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// `text` without the comments and white space before its first token.
std::string_view skip_leading_comments(std::string_view text) {
    for (;;) {
        const auto first = text.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos) return {};
        text.remove_prefix(first);
        if (text.starts_with("--")) {
            const auto end = text.find('\n');
            text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        } else if (text.starts_with("/*")) {
            const auto end = text.find("*/");
            text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 2);
        } else {
            return text;
        }
    }
}

struct Piece {
    std::string sql;  // ends with ';'
    std::string note; // a `--` comment that followed it on its line, without the dashes
    ChangeKind kind = ChangeKind::other;
};

ChangeKind classify(const sqlparse::ParsedStatement& parsed, std::string_view sql) {
    if (!parsed.statement) return ChangeKind::other;
    const std::string& node = parsed.statement->node_type;
    const std::string head = upper_words(sql, 2);
    if (node == "CreateExtensionStmt") return ChangeKind::extension;
    if (node == "CreateStatsStmt") return ChangeKind::statistics;
    if (node == "VacuumStmt") {
        return head.starts_with("ANALYZE") || head.starts_with("ANALYSE") ? ChangeKind::statistics
                                                                         : ChangeKind::maintenance;
    }
    // REINDEX ... CONCURRENTLY (index-bloat) rebuilds an index online, as VACUUM runs online.
    if (node == "ReindexStmt") return ChangeKind::maintenance;
    if (node == "IndexStmt") return ChangeKind::create_index;
    if (node == "DropStmt" && head == "DROP INDEX") return ChangeKind::drop_index;
    if (node == "VariableSetStmt" || node == "AlterSystemStmt") return ChangeKind::setting;
    if (node == "SelectStmt") {
        return collapse(sql).starts_with("SELECT pg_reload_conf()") ? ChangeKind::setting
                                                                    : ChangeKind::check;
    }
    return ChangeKind::other;
}

// The statements of a suggestion, with the comment that ends each one's line.
std::vector<Piece> pieces(const std::string& text) {
    std::vector<Piece> out;
    const std::vector<sqlparse::ParsedStatement> parsed = sqlparse::parse_script(text);
    for (const sqlparse::ParsedStatement& entry : parsed) {
        const sqlparse::Span span = entry.statement ? entry.statement->span
                                                    : entry.error->statement_span;
        if (span.begin < 0 || span.end <= span.begin) continue;
        Piece piece;
        const auto begin = static_cast<std::size_t>(span.begin);
        const auto end = std::min(static_cast<std::size_t>(span.end), text.size());
        std::string sql(skip_leading_comments(std::string_view(text).substr(begin, end - begin)));
        while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) sql.pop_back();
        if (sql.empty()) continue;
        piece.kind = classify(entry, sql);
        piece.sql = sql + ";";
        // "...; -- takes effect after a restart": keep the comment with its statement.
        std::size_t at = text.find(';', end);
        const std::size_t line_end = text.find('\n', end);
        if (at != std::string::npos && (line_end == std::string::npos || at < line_end)) {
            const std::size_t dash = text.find("--", at);
            if (dash != std::string::npos && (line_end == std::string::npos || dash < line_end)) {
                std::string note = text.substr(dash + 2, (line_end == std::string::npos ? text.size() : line_end) - dash - 2);
                const auto first = note.find_first_not_of(' ');
                piece.note = first == std::string::npos ? std::string() : note.substr(first);
            }
        }
        out.push_back(std::move(piece));
    }
    return out;
}

// The part of a CREATE INDEX after its name ("ON t (a)"): two findings that suggest the same
// index under different names (an unindexed foreign key, a recommendation) give one change.
std::string index_definition(const std::string& sql) {
    const std::string text = collapse(sql);
    const auto on = text.find(" ON ");
    return on == std::string::npos ? text : "CREATE INDEX" + text.substr(on);
}

// The name in `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON ...`.
std::string index_name(const std::string& sql) {
    const std::string text = collapse(sql);
    const auto on = text.find(" ON ");
    if (on == std::string::npos) return {};
    const auto space = text.rfind(' ', on - 1);
    return space == std::string::npos ? std::string() : text.substr(space + 1, on - space - 1);
}

std::string held_back_reason(ChangeKind kind, const Finding& f) {
    switch (kind) {
    case ChangeKind::setting:
        return "a setting: choose the scope (role, database or server) before you apply it";
    case ChangeKind::check: return "a query to check the diagnosis, not a change";
    case ChangeKind::rewrite: return "a rewrite of the application's query, not a change to the database";
    case ChangeKind::other: return "dbadvise cannot tell what this statement changes; review it";
    case ChangeKind::drop_index:
        if (f.rule == RuleId::unused_index) {
            return "idx_scan counts scans only since the last statistics reset and only on this "
                   "server: check the replicas and the whole business cycle before dropping it";
        }
        return {};
    default: return {};
    }
}

// A session-level SET means nothing in a script: the setting is for the role (or session)
// that runs the statements.
std::string as_role_setting(const std::string& sql) {
    const std::string upper = upper_words(sql, 1);
    if (upper != "SET") return sql;
    std::string rest = sql.substr(sql.find_first_of(" \t\n") + 1);
    const auto first = rest.find_first_not_of(" \t\n");
    rest = first == std::string::npos ? std::string() : rest.substr(first);
    return "ALTER ROLE <role that runs the statement> SET " + rest;
}

} // namespace

std::string_view to_string(ChangeKind kind) {
    switch (kind) {
    case ChangeKind::extension: return "Extensions";
    case ChangeKind::statistics: return "Statistics";
    case ChangeKind::create_index: return "Indexes to create";
    case ChangeKind::rebuild_index: return "Invalid indexes to rebuild";
    case ChangeKind::drop_index: return "Indexes to drop";
    case ChangeKind::maintenance: return "Maintenance";
    case ChangeKind::setting: return "Settings (commented out)";
    case ChangeKind::check: return "Checks (commented out)";
    case ChangeKind::rewrite: return "Query rewrites (for the application; commented out)";
    case ChangeKind::other: return "Other statements (commented out)";
    }
    return "Other statements (commented out)";
}

std::vector<Change> change_script(const std::vector<Finding>& findings) {
    std::map<ChangeKind, std::vector<Change>> by_kind;
    std::map<std::string, std::pair<ChangeKind, std::size_t>> seen; // statement text -> change
    std::map<std::string, std::string> index_names; // name -> definition of a created index
    auto add = [&](ChangeKind kind, std::vector<std::string> statements, std::vector<std::string> notes,
                   const Finding& f) {
        std::string key;
        for (const std::string& s : statements) {
            key += (kind == ChangeKind::create_index ? index_definition(s) : collapse(s)) + "\n";
        }
        if (kind == ChangeKind::create_index && statements.size() == 1 && !seen.contains(key)) {
            // Two different indexes suggested under one name: the later one gets a suffix, so
            // that the script does not stop at "relation already exists".
            std::string name = index_name(statements.front());
            if (!name.empty() && index_names.contains(name)) {
                std::string unique = name;
                const bool quoted = name.size() > 1 && name.back() == '"';
                const std::string stem = quoted ? name.substr(0, name.size() - 1) : name;
                for (int n = 2; index_names.contains(unique); ++n) {
                    unique = fmt::format("{}_{}{}", stem, n, quoted ? "\"" : "");
                }
                const auto at = statements.front().find(name);
                statements.front().replace(at, name.size(), unique);
                name = unique;
            }
            if (!name.empty()) index_names.emplace(name, key);
        }
        if (const auto it = seen.find(key); it != seen.end()) {
            by_kind[it->second.first][it->second.second].reasons.push_back(&f);
            return;
        }
        Change change{kind, std::move(statements), std::move(notes), {&f}, true, {}};
        change.held_back = held_back_reason(kind, f);
        change.runnable = change.held_back.empty();
        std::vector<Change>& list = by_kind[kind];
        seen.emplace(key, std::pair{kind, list.size()});
        list.push_back(std::move(change));
    };
    for (const Finding& f : findings) {
        if (f.baseline) continue;
        if (!f.suggestion.sql.empty()) {
            std::vector<Piece> parts = pieces(f.suggestion.sql);
            if (f.rule == RuleId::invalid_index) {
                // Drop and build again: one change, in that order.
                std::vector<std::string> statements;
                std::vector<std::string> notes;
                for (Piece& p : parts) {
                    statements.push_back(std::move(p.sql));
                    if (!p.note.empty()) notes.push_back(std::move(p.note));
                }
                if (!statements.empty()) add(ChangeKind::rebuild_index, std::move(statements), std::move(notes), f);
            } else {
                for (Piece& p : parts) {
                    // pg_reload_conf() follows every ALTER SYSTEM: the script says so once.
                    if (p.kind == ChangeKind::setting && upper_words(p.sql, 1) == "SELECT") continue;
                    std::string sql = p.kind == ChangeKind::setting ? as_role_setting(p.sql) : p.sql;
                    std::vector<std::string> notes;
                    if (!p.note.empty()) notes.push_back(std::move(p.note));
                    add(p.kind, {std::move(sql)}, std::move(notes), f);
                }
            }
        }
        if (!f.suggestion.rewritten_query.empty()) {
            add(ChangeKind::rewrite, {f.suggestion.rewritten_query}, {}, f);
        }
    }
    // An index the advisor recommends is led by its missing-index finding, whatever outranks
    // it (a statement's reads, a non-sargable predicate): that one says what the index saves.
    // Then the indexes go most time saved first; those without an estimate (an unindexed
    // foreign key, a lint suggestion) follow in report order.
    if (auto it = by_kind.find(ChangeKind::create_index); it != by_kind.end()) {
        const auto saved = [](const Change& change) {
            const Finding& lead = *change.reasons.front();
            return lead.rule == RuleId::missing_index ? lead.rank : -1.0;
        };
        for (Change& change : it->second) {
            const auto advisor = std::find_if(change.reasons.begin(), change.reasons.end(), [](const Finding* f) {
                return f->rule == RuleId::missing_index;
            });
            if (advisor != change.reasons.end()) std::rotate(change.reasons.begin(), advisor, advisor + 1);
        }
        std::stable_sort(it->second.begin(), it->second.end(),
                         [&](const Change& a, const Change& b) { return saved(a) > saved(b); });
    }
    std::vector<Change> out;
    for (const ChangeKind kind : k_order) {
        auto it = by_kind.find(kind);
        if (it == by_kind.end()) continue;
        for (Change& change : it->second) out.push_back(std::move(change));
    }
    return out;
}

} // namespace dbadvise::analyzer
