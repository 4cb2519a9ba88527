// EXPLAIN (FORMAT JSON) -> Plan, through nlohmann's SAX interface: a 50 MB plan becomes the
// model directly, without a DOM several times the size of the text.
#include "analyzer/plan/plan_model.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace dbadvise::analyzer::plan {
namespace {

// The keys of a plan node that the model keeps. Everything else ("Output", "Workers",
// "WAL Records", fields of newer servers) is skipped.
enum class Field {
    node_type,
    parent_relationship,
    subplan_name,
    relation,
    schema,
    alias,
    index_name,
    cte_name,
    function_name,
    join_type,
    strategy,
    partial_mode,
    scan_direction,
    parallel_aware,
    startup_cost,
    total_cost,
    plan_rows,
    plan_width,
    actual_startup,
    actual_total,
    actual_rows,
    actual_loops,
    shared_hit,
    shared_read,
    shared_dirtied,
    shared_written,
    local_hit,
    local_read,
    local_dirtied,
    local_written,
    temp_read,
    temp_written,
    io_read,
    io_write,
    temp_io_read,
    temp_io_write,
    sort_method,
    sort_space_used,
    sort_space_type,
    hash_buckets,
    original_hash_buckets,
    hash_batches,
    original_hash_batches,
    peak_memory,
    disk_usage,
    removed_by_filter,
    removed_by_join_filter,
    removed_by_recheck,
    heap_fetches,
    exact_blocks,
    lossy_blocks,
    workers_planned,
    workers_launched,
    filter,
    index_cond,
    recheck_cond,
    hash_cond,
    merge_cond,
    join_filter,
};

const std::unordered_map<std::string_view, Field>& node_fields() {
    static const std::unordered_map<std::string_view, Field> k_fields = {
        {"Node Type", Field::node_type},
        {"Parent Relationship", Field::parent_relationship},
        {"Subplan Name", Field::subplan_name},
        {"Relation Name", Field::relation},
        {"Schema", Field::schema},
        {"Alias", Field::alias},
        {"Index Name", Field::index_name},
        {"CTE Name", Field::cte_name},
        {"Function Name", Field::function_name},
        {"Join Type", Field::join_type},
        {"Strategy", Field::strategy},
        {"Partial Mode", Field::partial_mode},
        {"Scan Direction", Field::scan_direction},
        {"Parallel Aware", Field::parallel_aware},
        {"Startup Cost", Field::startup_cost},
        {"Total Cost", Field::total_cost},
        {"Plan Rows", Field::plan_rows},
        {"Plan Width", Field::plan_width},
        {"Actual Startup Time", Field::actual_startup},
        {"Actual Total Time", Field::actual_total},
        {"Actual Rows", Field::actual_rows},
        {"Actual Loops", Field::actual_loops},
        {"Shared Hit Blocks", Field::shared_hit},
        {"Shared Read Blocks", Field::shared_read},
        {"Shared Dirtied Blocks", Field::shared_dirtied},
        {"Shared Written Blocks", Field::shared_written},
        {"Local Hit Blocks", Field::local_hit},
        {"Local Read Blocks", Field::local_read},
        {"Local Dirtied Blocks", Field::local_dirtied},
        {"Local Written Blocks", Field::local_written},
        {"Temp Read Blocks", Field::temp_read},
        {"Temp Written Blocks", Field::temp_written},
        // 15 and earlier say "I/O Read Time"; 16 splits it into shared and local.
        {"I/O Read Time", Field::io_read},
        {"I/O Write Time", Field::io_write},
        {"Shared I/O Read Time", Field::io_read},
        {"Shared I/O Write Time", Field::io_write},
        {"Temp I/O Read Time", Field::temp_io_read},
        {"Temp I/O Write Time", Field::temp_io_write},
        {"Sort Method", Field::sort_method},
        {"Sort Space Used", Field::sort_space_used},
        {"Sort Space Type", Field::sort_space_type},
        {"Hash Buckets", Field::hash_buckets},
        {"Original Hash Buckets", Field::original_hash_buckets},
        {"Hash Batches", Field::hash_batches},
        {"HashAgg Batches", Field::hash_batches},
        {"Original Hash Batches", Field::original_hash_batches},
        {"Peak Memory Usage", Field::peak_memory},
        {"Disk Usage", Field::disk_usage},
        {"Rows Removed by Filter", Field::removed_by_filter},
        {"Rows Removed by Join Filter", Field::removed_by_join_filter},
        {"Rows Removed by Index Recheck", Field::removed_by_recheck},
        {"Heap Fetches", Field::heap_fetches},
        {"Exact Heap Blocks", Field::exact_blocks},
        {"Lossy Heap Blocks", Field::lossy_blocks},
        {"Workers Planned", Field::workers_planned},
        {"Workers Launched", Field::workers_launched},
        {"Filter", Field::filter},
        {"Index Cond", Field::index_cond},
        {"Recheck Cond", Field::recheck_cond},
        {"Hash Cond", Field::hash_cond},
        {"Merge Cond", Field::merge_cond},
        {"Join Filter", Field::join_filter},
    };
    return k_fields;
}

std::string* text_field(PlanNode& node, Field field) {
    switch (field) {
    case Field::node_type:
        return &node.node_type;
    case Field::parent_relationship:
        return &node.parent_relationship;
    case Field::subplan_name:
        return &node.subplan_name;
    case Field::relation:
        return &node.relation;
    case Field::schema:
        return &node.schema;
    case Field::alias:
        return &node.alias;
    case Field::index_name:
        return &node.index_name;
    case Field::cte_name:
        return &node.cte_name;
    case Field::function_name:
        return &node.function_name;
    case Field::join_type:
        return &node.join_type;
    case Field::strategy:
        return &node.strategy;
    case Field::partial_mode:
        return &node.partial_mode;
    case Field::scan_direction:
        return &node.scan_direction;
    case Field::sort_method:
        return &node.sort_method;
    case Field::sort_space_type:
        return &node.sort_space_type;
    case Field::filter:
        return &node.filter;
    case Field::index_cond:
        return &node.index_cond;
    case Field::recheck_cond:
        return &node.recheck_cond;
    case Field::hash_cond:
        return &node.hash_cond;
    case Field::merge_cond:
        return &node.merge_cond;
    case Field::join_filter:
        return &node.join_filter;
    default:
        return nullptr;
    }
}

void set_number(PlanNode& node, Field field, double value) {
    const auto whole = static_cast<std::int64_t>(value);
    switch (field) {
    case Field::startup_cost:
        node.startup_cost = value;
        break;
    case Field::total_cost:
        node.total_cost = value;
        break;
    case Field::plan_rows:
        node.plan_rows = value;
        break;
    case Field::plan_width:
        node.plan_width = whole;
        break;
    case Field::actual_startup:
        node.actual_startup_ms = value;
        node.has_timing = true;
        break;
    case Field::actual_total:
        node.actual_total_ms = value;
        node.has_timing = true;
        break;
    case Field::actual_rows:
        node.actual_rows = value;
        node.has_actual = true;
        break;
    case Field::actual_loops:
        node.actual_loops = value;
        node.has_actual = true;
        node.never_executed = value == 0;
        break;
    case Field::shared_hit:
        node.buffers.shared.hit = whole;
        node.has_buffers = true;
        break;
    case Field::shared_read:
        node.buffers.shared.read = whole;
        node.has_buffers = true;
        break;
    case Field::shared_dirtied:
        node.buffers.shared.dirtied = whole;
        node.has_buffers = true;
        break;
    case Field::shared_written:
        node.buffers.shared.written = whole;
        node.has_buffers = true;
        break;
    case Field::local_hit:
        node.buffers.local.hit = whole;
        node.has_buffers = true;
        break;
    case Field::local_read:
        node.buffers.local.read = whole;
        node.has_buffers = true;
        break;
    case Field::local_dirtied:
        node.buffers.local.dirtied = whole;
        node.has_buffers = true;
        break;
    case Field::local_written:
        node.buffers.local.written = whole;
        node.has_buffers = true;
        break;
    case Field::temp_read:
        node.buffers.temp_read = whole;
        node.has_buffers = true;
        break;
    case Field::temp_written:
        node.buffers.temp_written = whole;
        node.has_buffers = true;
        break;
    case Field::io_read:
        node.io_read_ms = value;
        break;
    case Field::io_write:
        node.io_write_ms = value;
        break;
    case Field::temp_io_read:
        node.temp_io_read_ms = value;
        break;
    case Field::temp_io_write:
        node.temp_io_write_ms = value;
        break;
    case Field::sort_space_used:
        node.sort_space_kb = whole;
        break;
    case Field::hash_buckets:
        node.hash_buckets = whole;
        break;
    case Field::original_hash_buckets:
        node.original_hash_buckets = whole;
        break;
    case Field::hash_batches:
        node.hash_batches = whole;
        break;
    case Field::original_hash_batches:
        node.original_hash_batches = whole;
        break;
    case Field::peak_memory:
        node.peak_memory_kb = whole;
        break;
    case Field::disk_usage:
        node.disk_usage_kb = whole;
        break;
    case Field::removed_by_filter:
        node.rows_removed_by_filter = value;
        break;
    case Field::removed_by_join_filter:
        node.rows_removed_by_join_filter = value;
        break;
    case Field::removed_by_recheck:
        node.rows_removed_by_index_recheck = value;
        break;
    case Field::heap_fetches:
        node.heap_fetches = whole;
        break;
    case Field::exact_blocks:
        node.exact_heap_blocks = whole;
        break;
    case Field::lossy_blocks:
        node.lossy_heap_blocks = whole;
        break;
    case Field::workers_planned:
        node.workers_planned = whole;
        break;
    case Field::workers_launched:
        node.workers_launched = whole;
        break;
    default:
        break; // a number where the model expects text: tolerated, ignored
    }
}

// Remembers how far the lexer has read, so that a node can be given the line it starts on.
struct ReadPosition {
    const char* current = nullptr;
};

// A character iterator that records its position in a ReadPosition as the lexer advances.
class TrackingIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    TrackingIterator() = default;
    TrackingIterator(const char* at, ReadPosition* position) : m_at(at), m_position(position) {}
    reference operator*() const { return *m_at; }
    TrackingIterator& operator++() {
        ++m_at;
        m_position->current = m_at;
        return *this;
    }
    TrackingIterator operator++(int) {
        TrackingIterator before = *this;
        ++*this;
        return before;
    }
    bool operator==(const TrackingIterator& other) const { return m_at == other.m_at; }

private:
    const char* m_at = nullptr;
    ReadPosition* m_position = nullptr;
};

using json = nlohmann::json;

class PlanSax {
public:
    PlanSax(Plan& plan, const ReadPosition& position, const char* begin)
        : m_plan(plan), m_position(position), m_begin(begin) {}

    std::vector<std::size_t> node_offsets; // byte offset of each node's '{'
    std::optional<PlanError> error;
    std::size_t error_position = 0;

    bool null() { return true; }
    bool boolean(bool value) {
        if (m_skip == 0 && !m_stack.empty() && m_stack.back().kind == Kind::node &&
            m_field == Field::parallel_aware) {
            node().parallel_aware = value;
        }
        return true;
    }
    bool number_integer(json::number_integer_t value) { return number(static_cast<double>(value)); }
    bool number_unsigned(json::number_unsigned_t value) {
        return number(static_cast<double>(value));
    }
    bool number_float(json::number_float_t value, const std::string&) { return number(value); }
    bool binary(json::binary_t&) { return true; }

    bool string(std::string& value) {
        if (m_skip > 0 || m_stack.empty()) {
            return true;
        }
        Frame& top = m_stack.back();
        switch (top.kind) {
        case Kind::node:
            if (m_field) {
                if (std::string* target = text_field(node(), *m_field)) {
                    *target = std::move(value);
                }
            }
            break;
        case Kind::settings:
            statement().settings.emplace_back(m_key, std::move(value));
            break;
        case Kind::statement:
            // auto_explain's JSON record carries the statement next to its "Plan".
            if (m_key == "Query Text") {
                statement().query_text = std::move(value);
            }
            break;
        case Kind::sort_key:
            m_plan.nodes[top.node].sort_key.push_back(std::move(value));
            break;
        default:
            break;
        }
        return true;
    }

    bool key(std::string& value) {
        if (m_skip > 0) {
            return true;
        }
        // The lexer refills its buffer for every token, so taking the text is safe.
        m_key.swap(value);
        m_field.reset();
        if (!m_stack.empty() && m_stack.back().kind == Kind::node) {
            const auto it = node_fields().find(m_key);
            if (it != node_fields().end()) {
                m_field = it->second;
            }
        }
        return true;
    }

    bool start_object(std::size_t) {
        if (m_skip > 0) {
            ++m_skip;
            return true;
        }
        if (m_stack.empty() || m_stack.back().kind == Kind::top_array) {
            m_plan.statements.emplace_back();
            m_stack.push_back({Kind::statement, -1, {}});
            return true;
        }
        const Frame top = m_stack.back();
        if (top.kind == Kind::statement && m_key == "Plan" && statement().root < 0) {
            statement().root = new_node(-1);
        } else if (top.kind == Kind::plans) {
            new_node(top.node);
        } else if (top.kind == Kind::statement && m_key == "JIT") {
            statement().jit = Jit{};
            m_stack.push_back({Kind::jit, -1, {}});
        } else if (top.kind == Kind::statement && m_key == "Settings") {
            m_stack.push_back({Kind::settings, -1, {}});
        } else if (top.kind == Kind::jit && m_key == "Timing") {
            m_stack.push_back({Kind::jit_timing, -1, {}});
        } else if (top.kind == Kind::jit_timing) {
            // 17 turned "Generation" into an object with "Deform" and "Total".
            m_stack.push_back({Kind::jit_timing_part, -1, m_key});
        } else {
            m_skip = 1;
        }
        return true;
    }

    bool end_object() { return end(); }

    bool start_array(std::size_t) {
        if (m_skip > 0) {
            ++m_skip;
            return true;
        }
        if (m_stack.empty()) {
            m_stack.push_back({Kind::top_array, -1, {}});
            return true;
        }
        const Frame top = m_stack.back();
        if (top.kind == Kind::node && m_key == "Plans") {
            m_stack.push_back({Kind::plans, top.node, {}});
        } else if (top.kind == Kind::node && m_key == "Sort Key") {
            m_stack.push_back({Kind::sort_key, top.node, {}});
        } else {
            m_skip = 1;
        }
        return true;
    }

    bool end_array() { return end(); }

    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& ex) {
        std::string_view what = ex.what();
        // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3,
        // column 7: syntax error while parsing object - unexpected end of input; ...". The
        // location is computed by the caller; keep the explanation.
        if (const std::size_t at = what.find(": "); at != std::string_view::npos) {
            what.remove_prefix(at + 2);
        }
        error = PlanError{fmt::format("invalid JSON: {}", what), 0, 0};
        error_position = position;
        return false;
    }

private:
    enum class Kind {
        top_array,
        statement,
        node,
        plans,
        jit,
        jit_timing,
        jit_timing_part,
        settings,
        sort_key
    };
    struct Frame {
        Kind kind;
        int node;
        std::string name; // jit_timing_part: which timing
    };

    PlanNode& node() { return m_plan.nodes[m_stack.back().node]; }
    PlanStatement& statement() { return m_plan.statements.back(); }

    int new_node(int parent) {
        const int index = static_cast<int>(m_plan.nodes.size());
        PlanNode& created = m_plan.nodes.emplace_back();
        created.parent = parent;
        created.statement = static_cast<int>(m_plan.statements.size()) - 1;
        if (parent >= 0) {
            m_plan.nodes[parent].children.push_back(index);
        }
        node_offsets.push_back(static_cast<std::size_t>(m_position.current - m_begin));
        m_stack.push_back({Kind::node, index, {}});
        return index;
    }

    bool end() {
        if (m_skip > 0) {
            --m_skip;
        } else if (!m_stack.empty()) {
            m_stack.pop_back();
        }
        return true;
    }

    bool number(double value) {
        if (m_skip > 0 || m_stack.empty()) {
            return true;
        }
        const Frame& top = m_stack.back();
        switch (top.kind) {
        case Kind::node:
            if (m_field) {
                set_number(node(), *m_field, value);
            }
            break;
        case Kind::statement:
            if (m_key == "Planning Time") {
                statement().planning_ms = value;
            } else if (m_key == "Execution Time") {
                statement().execution_ms = value;
            }
            break;
        case Kind::jit:
            if (m_key == "Functions") {
                statement().jit->functions = static_cast<std::int64_t>(value);
            }
            break;
        case Kind::jit_timing:
            set_jit_timing(m_key, value);
            break;
        case Kind::jit_timing_part:
            if (m_key == "Total") {
                set_jit_timing(top.name, value);
            }
            break;
        default:
            break;
        }
        return true;
    }

    void set_jit_timing(std::string_view name, double value) {
        Jit& jit = *statement().jit;
        if (name == "Generation") {
            jit.generation_ms = value;
        } else if (name == "Inlining") {
            jit.inlining_ms = value;
        } else if (name == "Optimization") {
            jit.optimization_ms = value;
        } else if (name == "Emission") {
            jit.emission_ms = value;
        } else if (name == "Total") {
            jit.total_ms = value;
        }
    }

    Plan& m_plan;
    const ReadPosition& m_position;
    const char* m_begin;
    std::vector<Frame> m_stack;
    std::string m_key;
    std::optional<Field> m_field; // m_key's field when the current object is a plan node
    int m_skip = 0;               // depth inside an object or array the model does not keep
};

// 1-based line and column of byte `offset` in `text`.
std::pair<int, int> line_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    std::size_t line_start = 0;
    const char* data = text.data();
    const char* at = data;
    const char* const end = data + offset;
    while (at < end) {
        const void* newline = std::memchr(at, '\n', static_cast<std::size_t>(end - at));
        if (newline == nullptr) {
            break;
        }
        ++line;
        at = static_cast<const char*>(newline) + 1;
        line_start = static_cast<std::size_t>(at - data);
    }
    return {line, static_cast<int>(offset - line_start) + 1};
}

} // namespace

std::expected<Plan, PlanError> parse_json_plan(std::string_view text) {
    Plan plan;
    plan.format = PlanFormat::json;
    ReadPosition position{text.data()};
    PlanSax sax(plan, position, text.data());
    const TrackingIterator end(text.data() + text.size(), &position);
    // psql prints one document per EXPLAIN; a script of several EXPLAINs gives documents one
    // after the other. Each is parsed in turn and its statements appended.
    std::size_t start = 0;
    bool ok = true;
    while (ok) {
        while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start])) != 0) {
            ++start;
        }
        if (start >= text.size()) {
            break;
        }
        position.current = text.data() + start;
        const TrackingIterator begin(text.data() + start, &position);
        try {
            ok = json::sax_parse(begin, end, &sax, json::input_format_t::json, false);
        } catch (const std::exception& e) {
            ok = false;
            sax.error = PlanError{fmt::format("invalid JSON: {}", e.what()), 0, 0};
            sax.error_position = static_cast<std::size_t>(position.current - (text.data() + start));
        }
        if (!ok || sax.error) {
            sax.error_position += start;
            break;
        }
        const auto consumed = static_cast<std::size_t>(position.current - text.data());
        start = consumed > start ? consumed : start + 1;
    }
    if (!ok || sax.error) {
        PlanError error = sax.error.value_or(PlanError{"invalid JSON", 0, 0});
        // nlohmann counts the character it stopped at; point at it, 0-based.
        const std::size_t offset = sax.error_position > 0 ? sax.error_position - 1 : 0;
        const auto [line, column] = line_column(text, offset);
        error.line = line;
        error.column = column;
        return std::unexpected(error);
    }
    std::erase_if(plan.statements, [](const PlanStatement& s) { return s.root < 0; });
    if (plan.statements.empty()) {
        return std::unexpected(PlanError{
            "not an EXPLAIN plan: no object with a \"Plan\" member (expected the output of "
            "EXPLAIN (FORMAT JSON))",
            0, 0});
    }
    // Statements without a plan were dropped: renumber the nodes' statement indexes.
    for (std::size_t s = 0; s < plan.statements.size(); ++s) {
        const int root = plan.statements[s].root;
        plan.nodes[root].statement = static_cast<int>(s);
    }
    for (PlanNode& node : plan.nodes) {
        if (node.parent >= 0) {
            node.statement = plan.nodes[node.parent].statement;
        }
    }
    // Lines of the nodes, in one pass: offsets grow with the node index.
    {
        int line = 1;
        std::size_t scanned = 0;
        for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
            const std::size_t offset = std::min(sax.node_offsets[i], text.size());
            line += static_cast<int>(std::count(text.data() + scanned, text.data() + offset, '\n'));
            scanned = offset;
            plan.nodes[i].line = line;
        }
    }
    compute_derived(plan);
    for (const PlanNode& node : plan.nodes) {
        if (node.node_type.empty()) {
            return std::unexpected(PlanError{
                fmt::format("not an EXPLAIN plan: the node at {} has no \"Node Type\"", node.path),
                node.line, 0});
        }
    }
    return plan;
}

} // namespace dbadvise::analyzer::plan
