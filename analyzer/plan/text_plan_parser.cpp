// EXPLAIN's default text format -> Plan. The text format has no schema; this reads what
// PostgreSQL 9.6 to 17 print for the figures the rules use, and nests nodes by indentation
// alone (a node's children and details are indented further than its name), so that plans
// re-indented by a mail client or a wiki still parse.
#include "analyzer/plan/pasted_plan.hpp"
#include "analyzer/plan/plan_model.hpp"

#include "analyzer/text.hpp"
#include "sqlparse/lexer.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {


bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) !=
            std::tolower(static_cast<unsigned char>(prefix[i]))) {
            return false;
        }
    }
    return true;
}

// The number at the start of `text` ("12.5 ms", "4168kB"); nullopt when there is none.
std::optional<double> leading_number(std::string_view text) {
    text = trim(text);
    std::size_t end = 0;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) != 0 ||
                                 text[end] == '.' || (end == 0 && text[end] == '-'))) {
        ++end;
    }
    if (end == 0) {
        return std::nullopt;
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
    if (ec != std::errc{} || ptr == text.data()) {
        return std::nullopt;
    }
    return value;
}

// The number after `key` in `text` ("rows=" in "rows=12 loops=3"); nullopt when absent.
std::optional<double> number_after(std::string_view text, std::string_view key) {
    const std::size_t at = text.find(key);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return leading_number(text.substr(at + key.size()));
}

// What a node line names after "on": "public.orders o" -> schema public, name orders, alias
// o; names as EXPLAIN prints them (quoted when they need it), read by sqlparse's lexer.
struct Target {
    std::string schema;
    std::string name;
    std::string alias;
};
Target read_target(std::string_view text) {
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(text);
    Target target;
    std::size_t i = 0;
    std::vector<std::string> parts;
    while (i < tokens.size() && sqlparse::is_name_kind(tokens[i].kind)) {
        parts.push_back(sqlparse::identifier_value(text, tokens[i++]));
        if (i < tokens.size() && tokens[i].kind == sqlparse::TokenKind::dot) {
            ++i;
        } else {
            break;
        }
    }
    if (!parts.empty()) {
        target.name = parts.back();
        if (parts.size() > 1) {
            target.schema = parts[parts.size() - 2];
        }
    }
    if (i < tokens.size() && sqlparse::is_name_kind(tokens[i].kind)) {
        target.alias = sqlparse::identifier_value(text, tokens[i]);
    }
    return target;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_join_types = {{
    {" Right Anti Join", "Right Anti"},
    {" Left Join", "Left"},
    {" Right Join", "Right"},
    {" Full Join", "Full"},
    {" Semi Join", "Semi"},
    {" Anti Join", "Anti"},
    {" Join", "Inner"},
}};

// Node names as the text format prints them, for recognising a root line that has no cost
// or actual figures (COSTS OFF).
constexpr std::array<std::string_view, 48> k_node_names = {
    "Seq Scan",
    "Index Scan",
    "Index Only Scan",
    "Bitmap Heap Scan",
    "Bitmap Index Scan",
    "Tid Scan",
    "Tid Range Scan",
    "Sample Scan",
    "Subquery Scan",
    "Function Scan",
    "Table Function Scan",
    "Values Scan",
    "CTE Scan",
    "Named Tuplestore Scan",
    "WorkTable Scan",
    "Foreign Scan",
    "Custom Scan",
    "Nested Loop",
    "Merge",
    "Hash",
    "Aggregate",
    "HashAggregate",
    "GroupAggregate",
    "MixedAggregate",
    "Partial",
    "Finalize",
    "Parallel",
    "Sort",
    "Incremental Sort",
    "Group",
    "Limit",
    "Unique",
    "SetOp",
    "HashSetOp",
    "LockRows",
    "Materialize",
    "Memoize",
    "Result",
    "ProjectSet",
    "Append",
    "Merge Append",
    "Recursive Union",
    "BitmapAnd",
    "BitmapOr",
    "Gather",
    "WindowAgg",
    "Insert",
    "Update",
};

bool starts_with_node_name(std::string_view text) {
    for (const std::string_view name : k_node_names) {
        if (text.starts_with(name) && (text.size() == name.size() || text[name.size()] == ' ')) {
            return true;
        }
    }
    return text.starts_with("Delete on") || text.starts_with("Merge on");
}

// Fills the node's type, relation, index and join type from its description, e.g.
// "Parallel Index Scan Backward using orders_pkey on public.orders o".
void parse_description(std::string_view text, PlanNode& node) {
    if (text.starts_with("Parallel ")) {
        node.parallel_aware = true;
        text.remove_prefix(9);
    }
    if (text.starts_with("Partial ")) {
        node.partial_mode = "Partial";
        text.remove_prefix(8);
    } else if (text.starts_with("Finalize ")) {
        node.partial_mode = "Finalize";
        text.remove_prefix(9);
    }
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> k_aggregates = {{
        {"HashAggregate", "Hashed"},
        {"GroupAggregate", "Sorted"},
        {"MixedAggregate", "Mixed"},
        {"Aggregate", "Plain"},
    }};
    for (const auto& [name, strategy] : k_aggregates) {
        if (text == name) {
            node.node_type = "Aggregate";
            node.strategy = std::string(strategy);
            if (node.partial_mode.empty()) {
                node.partial_mode = "Simple";
            }
            return;
        }
    }
    for (const std::string_view join :
         {std::string_view("Hash"), std::string_view("Merge"), std::string_view("Nested Loop")}) {
        if (!text.starts_with(join)) {
            continue;
        }
        const std::string_view rest = text.substr(join.size());
        if (join == "Nested Loop" && rest.empty()) {
            node.node_type = "Nested Loop";
            node.join_type = "Inner";
            return;
        }
        for (const auto& [suffix, type] : k_join_types) {
            if (rest == suffix) {
                node.node_type =
                    join == "Nested Loop" ? "Nested Loop" : std::string(join) + " Join";
                node.join_type = std::string(type);
                return;
            }
        }
    }
    std::string_view target;
    if (const std::size_t using_at = text.find(" using "); using_at != std::string_view::npos) {
        std::string_view type = text.substr(0, using_at);
        std::string_view rest = text.substr(using_at + 7);
        if (type.ends_with(" Backward")) {
            type.remove_suffix(9);
            node.scan_direction = "Backward";
        } else {
            node.scan_direction = "Forward";
        }
        node.node_type = std::string(type);
        const std::size_t on_at = rest.find(" on ");
        node.index_name = read_target(rest.substr(0, on_at)).name;
        if (on_at == std::string_view::npos) {
            return;
        }
        target = rest.substr(on_at + 4);
    } else if (const std::size_t on_at = text.find(" on "); on_at != std::string_view::npos) {
        node.node_type = std::string(text.substr(0, on_at));
        target = text.substr(on_at + 4);
    } else {
        node.node_type = std::string(text);
        return;
    }
    for (const std::string_view modify : {"Insert", "Update", "Delete", "Merge"}) {
        if (node.node_type == modify) {
            node.node_type = "ModifyTable";
        }
    }
    Target named = read_target(target);
    if (named.name.empty()) {
        return;
    }
    if (node.node_type == "Bitmap Index Scan") {
        node.index_name = std::move(named.name);
        return;
    }
    if (node.node_type == "CTE Scan") {
        node.cte_name = std::move(named.name);
    } else if (node.node_type == "Function Scan") {
        node.function_name = std::move(named.name);
        node.schema = std::move(named.schema);
    } else {
        node.relation = std::move(named.name);
        node.schema = std::move(named.schema);
    }
    if (!named.alias.empty()) {
        node.alias = std::move(named.alias);
    } else if (!node.relation.empty()) {
        node.alias = node.relation;
    }
}

// Reads "(cost=a..b rows=n width=w)", "(actual time=a..b rows=n loops=l)", "(actual rows=n
// loops=l)" and "(never executed)" after the description.
void parse_figures(std::string_view text, PlanNode& node) {
    if (const std::size_t at = text.find("(cost="); at != std::string_view::npos) {
        const std::string_view group = text.substr(at, text.find(')', at) - at);
        node.startup_cost = leading_number(group.substr(6)).value_or(0);
        node.total_cost = number_after(group, "..").value_or(0);
        node.plan_rows = number_after(group, "rows=").value_or(0);
        node.plan_width = static_cast<std::int64_t>(number_after(group, "width=").value_or(0));
    }
    if (const std::size_t at = text.find("(actual "); at != std::string_view::npos) {
        const std::string_view group = text.substr(at, text.find(')', at) - at);
        if (const std::size_t time = group.find("time="); time != std::string_view::npos) {
            node.actual_startup_ms = leading_number(group.substr(time + 5)).value_or(0);
            node.actual_total_ms = number_after(group.substr(time), "..").value_or(0);
            node.has_timing = true;
        }
        node.actual_rows = number_after(group, "rows=").value_or(0);
        node.actual_loops = number_after(group, "loops=").value_or(0);
        node.has_actual = true;
    }
    if (text.find("(never executed)") != std::string_view::npos) {
        node.has_actual = true;
        node.never_executed = true;
    }
}

// "shared hit=1 read=2, local hit=3, temp read=4 written=5"
void parse_buffers(std::string_view text, PlanNode& node) {
    node.has_buffers = true;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view part = trim(text.substr(start, end - start));
        // A block count is a whole number from 0 up: anything else (a sign, a value past
        // int64) counts as 0 rather than wrapping.
        auto value = [&](std::string_view key) -> std::int64_t {
            const double number = number_after(part, key).value_or(0);
            return number >= 0 && number < 9.2e18 ? static_cast<std::int64_t>(number) : 0;
        };
        if (part.starts_with("shared") || part.starts_with("local")) {
            BufferCounts& counts =
                part.starts_with("shared") ? node.buffers.shared : node.buffers.local;
            counts.hit = value(" hit=");
            counts.read = value("read=");
            counts.dirtied = value("dirtied=");
            counts.written = value("written=");
        } else if (part.starts_with("temp")) {
            node.buffers.temp_read = value("read=");
            node.buffers.temp_written = value("written=");
        }
        start = end + 1;
    }
}

// "read=1.2 write=0.5" (14 and earlier), "shared/local read=1.2, temp read=0.3 write=0.1"
// (15), "shared read=1.2, local read=..., temp ..." (16 and later).
void parse_io_timings(std::string_view text, PlanNode& node) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view part = trim(text.substr(start, end - start));
        if (part.starts_with("temp")) {
            node.temp_io_read_ms = number_after(part, "read=");
            node.temp_io_write_ms = number_after(part, "write=");
        } else if (!part.starts_with("local")) {
            node.io_read_ms = number_after(part, "read=");
            node.io_write_ms = number_after(part, "write=");
        }
        start = end + 1;
    }
}

std::optional<std::int64_t> whole(std::optional<double> value) {
    if (!value) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*value);
}

// One "Key: value" line under a node. Unknown keys are details the model does not keep.
void apply_detail(std::string_view key, std::string_view value, PlanNode& node) {
    if (key == "Filter") {
        node.filter = std::string(value);
    } else if (key == "Index Cond") {
        node.index_cond = std::string(value);
    } else if (key == "Recheck Cond") {
        node.recheck_cond = std::string(value);
    } else if (key == "Hash Cond") {
        node.hash_cond = std::string(value);
    } else if (key == "Merge Cond") {
        node.merge_cond = std::string(value);
    } else if (key == "Join Filter") {
        node.join_filter = std::string(value);
    } else if (key == "Rows Removed by Filter") {
        node.rows_removed_by_filter = leading_number(value);
    } else if (key == "Rows Removed by Join Filter") {
        node.rows_removed_by_join_filter = leading_number(value);
    } else if (key == "Rows Removed by Index Recheck") {
        node.rows_removed_by_index_recheck = leading_number(value);
    } else if (key == "Buffers") {
        parse_buffers(value, node);
    } else if (key == "I/O Timings") {
        parse_io_timings(value, node);
    } else if (key == "Sort Key") {
        std::size_t start = 0;
        while (start < value.size()) {
            std::size_t end = value.find(", ", start);
            if (end == std::string_view::npos) {
                end = value.size();
            }
            node.sort_key.emplace_back(value.substr(start, end - start));
            start = end + 2;
        }
    } else if (key == "Sort Method") {
        // "external merge  Disk: 4168kB" or "quicksort  Memory: 25kB"
        const std::size_t gap = value.find("  ");
        node.sort_method = std::string(trim(value.substr(0, gap)));
        if (const auto disk = number_after(value, "Disk: ")) {
            node.sort_space_type = "Disk";
            node.sort_space_kb = whole(disk);
        } else if (const auto memory = number_after(value, "Memory: ")) {
            node.sort_space_type = "Memory";
            node.sort_space_kb = whole(memory);
        }
    } else if (key == "Buckets") {
        // "512 (originally 256)  Batches: 128 (originally 64)  Memory Usage: 61kB"
        node.hash_buckets = whole(leading_number(value));
        const std::size_t batches = value.find("Batches: ");
        const std::string_view buckets_part = value.substr(0, batches);
        node.original_hash_buckets = whole(number_after(buckets_part, "(originally "));
        if (!node.original_hash_buckets) {
            node.original_hash_buckets = node.hash_buckets;
        }
        if (batches != std::string_view::npos) {
            apply_detail("Batches", value.substr(batches + 9), node);
        }
    } else if (key == "Batches") {
        // Hash: "128 (originally 64)  Memory Usage: 61kB"; HashAgg: "5  Memory Usage:
        // 8241kB  Disk Usage: 752kB"
        node.hash_batches = whole(leading_number(value));
        const std::size_t memory = value.find("Memory Usage: ");
        node.original_hash_batches = whole(number_after(value.substr(0, memory), "(originally "));
        if (!node.original_hash_batches && node.node_type == "Hash") {
            node.original_hash_batches = node.hash_batches;
        }
        node.peak_memory_kb = whole(number_after(value, "Memory Usage: "));
        node.disk_usage_kb = whole(number_after(value, "Disk Usage: "));
    } else if (key == "Heap Fetches") {
        node.heap_fetches = whole(leading_number(value));
    } else if (key == "Heap Blocks") {
        node.exact_heap_blocks = whole(number_after(value, "exact="));
        node.lossy_heap_blocks = whole(number_after(value, "lossy="));
    } else if (key == "Workers Planned") {
        node.workers_planned = whole(leading_number(value));
    } else if (key == "Workers Launched") {
        node.workers_launched = whole(leading_number(value));
    }
}

// A line of the text input with its indentation measured (tabs to the next multiple of 8).
struct Line {
    int number = 0;
    int indent = 0;
    int column = 1; // the byte column where the content starts, for messages (a tab is one byte)
    std::string_view content;
};

Line measure(int number, std::string_view raw) {
    Line line{number, 0, 1, {}};
    std::size_t i = 0;
    for (; i < raw.size() && (raw[i] == ' ' || raw[i] == '\t'); ++i) {
        line.indent = raw[i] == '\t' ? (line.indent / 8 + 1) * 8 : line.indent + 1;
    }
    line.column = static_cast<int>(i) + 1;
    std::string_view content = raw.substr(i);
    while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back())) != 0) {
        content.remove_suffix(1);
    }
    // psql's continuation mark for values that span lines.
    if (content.size() >= 2 && content.back() == '+' && content[content.size() - 2] == ' ') {
        content = trim(content.substr(0, content.size() - 1));
    }
    line.content = content;
    return line;
}

bool is_header_line(std::string_view content) {
    if (content == "QUERY PLAN") {
        return true;
    }
    if (!content.empty() && content.find_first_not_of("-+") == std::string_view::npos) {
        return true;
    }
    return is_row_count(content);
}

// Where figures start on a node line: " (cost=", " (actual " or " (never executed)".
std::size_t figures_start(std::string_view content) {
    std::size_t best = std::string_view::npos;
    for (const std::string_view marker : {" (cost=", " (actual ", " (never executed)"}) {
        best = std::min(best, content.find(marker));
    }
    return best;
}

bool is_statement_key(std::string_view content) {
    for (const std::string_view key :
         {"Planning Time:", "Execution Time:", "Total runtime:", "Planning:", "JIT:", "Trigger ",
          "Settings:", "Query Identifier:", "Serialization:"}) {
        if (iequals_prefix(content, key)) {
            return true;
        }
    }
    return false;
}

// How a line ends: inside parentheses or a quoted literal or name (EXPLAIN never breaks a line
// there, so the line goes on on the next one), and whether inside a quote.
struct Openness {
    bool open = false;
    bool quoted = false;
};

Openness openness(std::string_view text) {
    int depth = 0;
    char quote = 0;
    for (const char c : text) {
        if (quote != 0) {
            quote = c == quote ? 0 : quote; // '' inside a literal closes and reopens it
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')') {
            --depth;
        }
    }
    return {depth > 0 || quote != 0, quote != 0};
}

// Display columns of a line (code points; a plan is ASCII but for names and literals).
int columns(std::string_view text) {
    int n = 0;
    for (const char c : text) {
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    return n;
}

// Lines cut by a terminal or an editor at a fixed width, when pasted: the width of the widest
// line, when at least two lines have it (the cut ones), else 0.
int cut_width(const std::vector<std::string_view>& lines) {
    int widest = 0;
    int count = 0;
    for (std::string_view line : lines) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        const int width = columns(line);
        if (width > widest) {
            widest = width;
            count = 1;
        } else if (width == widest) {
            ++count;
        }
    }
    return count >= 2 && widest >= 40 ? widest : 0;
}

int indent_of(std::string_view line) {
    const std::size_t at = line.find_first_not_of(" \t");
    return at == std::string_view::npos ? 0 : static_cast<int>(at);
}

class TextPlanParser {
public:
    std::expected<Plan, PlanError> parse(std::string_view text) {
        m_plan.format = PlanFormat::text;
        std::vector<std::string_view> raw;
        for (std::size_t start = 0; start <= text.size();) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) {
                end = text.size();
            }
            raw.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        const int width = cut_width(raw);
        for (std::size_t i = 0; i < raw.size(); ++i) {
            const int number = static_cast<int>(i) + 1;
            std::string_view row = raw[i];
            if (const std::size_t last = wrapped_until(raw, i, width); last != i) {
                row = m_joined.emplace_back(joined(raw, i, last));
                i = last;
            }
            const Line line = measure(number, row);
            if (!line.content.empty()) {
                if (is_header_line(line.content)) {
                    m_stack.clear();
                } else if (auto error = take(line)) {
                    return std::unexpected(*error);
                }
            }
        }
        if (m_plan.statements.empty()) {
            return std::unexpected(PlanError{
                "not an EXPLAIN plan: no plan node line found (expected EXPLAIN output such as "
                "\"Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\")",
                0, 0});
        }
        compute_derived(m_plan);
        return std::move(m_plan);
    }

private:
    // A line pasted cut in pieces (a terminal or an editor wrapped it; EXPLAIN itself never
    // does) goes on on the next line when it ends inside parentheses or a quote (most cuts
    // fall in a node's figures or an expression), when the next line starts with a node's
    // figures (cut just before them), or when the input was cut at one width, this line has
    // that width, and the next starts at the left margin where no line of the plan could (a
    // plan's lines there are root nodes and the statement's keys). Returns the last line of
    // the piece that starts at `first` (`first` when it is whole).
    static std::size_t wrapped_until(const std::vector<std::string_view>& raw, std::size_t first,
                                     int width) {
        const std::string_view head = trim(raw[first]);
        if (head.empty() || head.starts_with("Query Text:") || is_header_line(head)) {
            return first;
        }
        std::string text(raw[first]);
        std::size_t last = first;
        while (last + 1 < raw.size() && last - first < 50) {
            const std::string_view next = raw[last + 1];
            const std::string_view next_content = trim(next);
            if (next_content.empty() || next_content.starts_with("->")) {
                break;
            }
            std::string_view current = raw[last];
            while (!current.empty() && current.back() == '\r') {
                current.remove_suffix(1);
            }
            const bool open = openness(text).open;
            const bool cut = width > 0 && columns(current) == width && indent_of(next) <= 1 &&
                             indent_of(raw[first]) >= 2 && !is_statement_key(next_content) &&
                             !(starts_with_node_name(next_content) &&
                               figures_start(next_content) != std::string_view::npos);
            // A node's figures on a line of their own: cut just before them.
            const bool figures = next_content.starts_with("(cost=") || next_content.starts_with("(actual ") ||
                                 next_content.starts_with("(never executed)");
            if (!open && !cut && !figures) {
                break;
            }
            text += next;
            ++last;
        }
        // Still open at a blank line or the end: not a cut line after all (a plan copied only
        // in part); read the line as it is.
        return last != first && openness(text).open ? first : last;
    }

    // Lines [first, last] as one: a cut inside a quoted literal keeps its line break (EXPLAIN
    // prints a literal's newlines as they are), other cuts join without a separator.
    static std::string joined(const std::vector<std::string_view>& raw, std::size_t first,
                              std::size_t last) {
        std::string text(raw[first]);
        for (std::size_t i = first + 1; i <= last; ++i) {
            while (!text.empty() && text.back() == '\r') {
                text.pop_back();
            }
            if (openness(text).quoted) {
                text += '\n';
            }
            text += raw[i];
        }
        return text;
    }

    enum class Kind { node, subplan, jit, skip };
    struct Entry {
        Kind kind;
        int column;       // where the entry's text starts; deeper lines belong to it
        int node = -1;    // Kind::node
        std::string name; // Kind::subplan: "SubPlan 1", "InitPlan 1 (returns $0)", "CTE x"
    };

    std::optional<PlanError> take(const Line& line) {
        const std::string_view content = line.content;
        if (content.starts_with("->")) {
            std::size_t text_at = 2;
            while (text_at < content.size() && content[text_at] == ' ') {
                ++text_at;
            }
            add_node(line, content.substr(text_at), line.indent + static_cast<int>(text_at));
            return std::nullopt;
        }
        // Statement-level lines never belong to a node, however they are indented.
        if (is_statement_key(content)) {
            m_stack.clear();
        }
        pop_to(line.indent);
        if (m_stack.empty()) {
            return statement_line(line);
        }
        Entry& top = m_stack.back();
        if (top.kind == Kind::skip || top.kind == Kind::subplan) {
            return std::nullopt;
        }
        if (top.kind == Kind::jit) {
            jit_line(content);
            return std::nullopt;
        }
        if (content.starts_with("SubPlan ") || content.starts_with("InitPlan ") ||
            (content.starts_with("CTE ") && content.find(':') == std::string_view::npos)) {
            m_stack.push_back({Kind::subplan, line.indent, -1, std::string(content)});
            return std::nullopt;
        }
        if (content.starts_with("Worker ") && content.find(':') != std::string_view::npos) {
            // Per-worker figures (VERBOSE): the node's own line already sums them.
            m_stack.push_back({Kind::skip, line.indent, -1, {}});
            return std::nullopt;
        }
        const std::size_t colon = content.find(": ");
        if (colon != std::string_view::npos) {
            apply_detail(content.substr(0, colon), trim(content.substr(colon + 2)),
                         m_plan.nodes[top.node]);
        }
        return std::nullopt;
    }

    void pop_to(int column) {
        while (!m_stack.empty() && m_stack.back().column >= column) {
            m_stack.pop_back();
        }
    }

    std::optional<PlanError> statement_line(const Line& line) {
        const std::string_view content = line.content;
        if (!is_statement_key(content)) {
            const std::size_t figures = figures_start(content);
            if (figures != std::string_view::npos || starts_with_node_name(content)) {
                add_node(line, content, line.indent);
                return std::nullopt;
            }
            if (m_plan.statements.empty()) {
                return PlanError{
                    fmt::format("not an EXPLAIN plan: expected a plan node, found \"{}\"",
                                content.substr(0, 60)),
                    line.number, line.column};
            }
            return std::nullopt;
        }
        if (m_plan.statements.empty()) {
            return std::nullopt;
        }
        PlanStatement& statement = m_plan.statements.back();
        const std::size_t colon = content.find(':');
        const std::string_view value = content.substr(colon + 1);
        if (iequals_prefix(content, "Planning Time:")) {
            statement.planning_ms = leading_number(value);
        } else if (iequals_prefix(content, "Execution Time:") ||
                   iequals_prefix(content, "Total runtime:")) {
            statement.execution_ms = leading_number(value);
        } else if (content.starts_with("JIT:")) {
            statement.jit = Jit{};
            m_stack.push_back({Kind::jit, line.indent, -1, {}});
        } else if (content.starts_with("Settings:")) {
            read_settings(trim(value), statement);
        } else {
            m_stack.push_back({Kind::skip, line.indent, -1, {}});
        }
        return std::nullopt;
    }

    // "Settings: jit = 'off', work_mem = '64kB'"
    static void read_settings(std::string_view text, PlanStatement& statement) {
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find(", ", start);
            bool quoted = false;
            for (std::size_t i = start; i < text.size(); ++i) {
                if (text[i] == '\'') {
                    quoted = !quoted;
                } else if (!quoted && text.substr(i).starts_with(", ")) {
                    end = i;
                    break;
                }
                end = std::string_view::npos;
            }
            const std::string_view item = text.substr(
                start, end == std::string_view::npos ? text.size() - start : end - start);
            const std::size_t eq = item.find(" = ");
            if (eq != std::string_view::npos) {
                std::string_view value = trim(item.substr(eq + 3));
                if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
                    value = value.substr(1, value.size() - 2);
                }
                statement.settings.emplace_back(std::string(trim(item.substr(0, eq))),
                                                std::string(value));
            }
            if (end == std::string_view::npos) {
                break;
            }
            start = end + 2;
        }
    }

    void jit_line(std::string_view content) {
        Jit& jit = *m_plan.statements.back().jit;
        if (content.starts_with("Functions:")) {
            jit.functions = whole(leading_number(content.substr(10))).value_or(0);
        } else if (content.starts_with("Timing:")) {
            jit.generation_ms = number_after(content, "Generation ").value_or(0);
            jit.inlining_ms = number_after(content, "Inlining ").value_or(0);
            jit.optimization_ms = number_after(content, "Optimization ").value_or(0);
            jit.emission_ms = number_after(content, "Emission ").value_or(0);
            jit.total_ms = number_after(content, "Total ").value_or(0);
        }
    }

    void add_node(const Line& line, std::string_view content, int text_column) {
        pop_to(line.indent);
        // A skip or JIT entry cannot own a node: a node line there starts over.
        while (!m_stack.empty() &&
               (m_stack.back().kind == Kind::skip || m_stack.back().kind == Kind::jit)) {
            m_stack.pop_back();
        }
        std::string relationship;
        std::string subplan_name;
        if (!m_stack.empty() && m_stack.back().kind == Kind::subplan) {
            subplan_name = m_stack.back().name;
            relationship = subplan_name.starts_with("SubPlan") ? "SubPlan" : "InitPlan";
            m_stack.pop_back();
            while (!m_stack.empty() && m_stack.back().kind != Kind::node) {
                m_stack.pop_back();
            }
        }
        const int parent = m_stack.empty() ? -1 : m_stack.back().node;
        const int index = static_cast<int>(m_plan.nodes.size());
        PlanNode node;
        node.line = line.number;
        node.parent = parent;
        const std::size_t figures = figures_start(content);
        parse_description(trim(content.substr(0, figures)), node);
        if (figures != std::string_view::npos) {
            parse_figures(content.substr(figures), node);
        }
        if (parent < 0) {
            m_plan.statements.emplace_back();
            m_plan.statements.back().root = index;
        } else {
            PlanNode& owner = m_plan.nodes[parent];
            if (relationship.empty()) {
                relationship = child_relationship(owner);
            }
            owner.children.push_back(index);
        }
        node.statement = static_cast<int>(m_plan.statements.size()) - 1;
        node.parent_relationship = std::move(relationship);
        node.subplan_name = std::move(subplan_name);
        m_plan.nodes.push_back(std::move(node));
        m_stack.push_back({Kind::node, text_column, index, {}});
    }

    std::string child_relationship(const PlanNode& owner) const {
        const std::string& type = owner.node_type;
        if (type == "Append" || type == "Merge Append" || type == "BitmapAnd" ||
            type == "BitmapOr") {
            return "Member";
        }
        if (type == "Subquery Scan") {
            return "Subquery";
        }
        int plain = 0;
        for (const int child : owner.children) {
            const std::string& rel = m_plan.nodes[child].parent_relationship;
            plain += rel != "InitPlan" && rel != "SubPlan" ? 1 : 0;
        }
        return plain == 0 ? "Outer" : "Inner";
    }

    Plan m_plan;
    std::vector<Entry> m_stack;
    std::deque<std::string> m_joined; // lines pasted in pieces, joined (Line views into them)
};

} // namespace

std::expected<Plan, PlanError> parse_text_plan(std::string_view text) {
    TextPlanParser parser;
    return parser.parse(text);
}

} // namespace dbadvise::analyzer::plan
