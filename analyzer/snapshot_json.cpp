// Snapshot JSON: written by hand, one statement row or catalog object per line so that a
// snapshot reads and diffs well; read with nlohmann's DOM parser, each member checked for
// its type and reported by its JSON pointer when it is wrong.
#include "analyzer/snapshot_json.hpp"

#include "analyzer/statement_columns.hpp"
#include "analyzer/timestamp.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

namespace dbadvise::analyzer {

namespace {

using nlohmann::json;

// --- Writing ------------------------------------------------------------------------------

class Out {
public:
    void raw(std::string_view text) { m_text.append(text); }
    void string(std::string_view text) {
        // nlohmann escapes control characters and quotes; bytes that are not UTF-8 become
        // U+FFFD instead of failing the whole snapshot.
        m_text.append(json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    void integer(std::int64_t value) { fmt::format_to(std::back_inserter(m_text), "{}", value); }
    // The shortest text that reads back as the same double. fmt writes a whole number
    // without a fraction (`2`), which JSON readers take as an integer: exact for every
    // double it writes so, except negative zero, whose `-0` reads back as 0. `-0.0` keeps it.
    // JSON has no NaN or infinity: they are written as the strings PostgreSQL prints for
    // them (a float8 stddev or pg_stats correlation can be NaN, an age from an infinite
    // interval Infinity), and the reader takes those strings wherever it reads a number.
    // null would read back as "unknown", or be refused where a number is required.
    void number(double value) {
        if (std::isnan(value))
            m_text.append("\"NaN\"");
        else if (std::isinf(value))
            m_text.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        else if (value == 0 && std::signbit(value))
            m_text.append("-0.0");
        else
            fmt::format_to(std::back_inserter(m_text), "{}", value);
    }
    void boolean(bool value) { m_text.append(value ? "true" : "false"); }
    void key(std::string_view name) {
        string(name);
        m_text.append(": ");
    }
    void value(const StatValue& value) {
        if (const auto* b = std::get_if<bool>(&value))
            boolean(*b);
        else if (const auto* i = std::get_if<std::int64_t>(&value))
            integer(*i);
        else if (const auto* d = std::get_if<double>(&value))
            number(*d);
        else if (const auto* s = std::get_if<std::string>(&value))
            string(*s);
        else
            raw("null");
    }
    void strings(const std::vector<std::string>& values) {
        raw("[");
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0)
                raw(", ");
            string(values[i]);
        }
        raw("]");
    }
    void numbers(const std::vector<double>& values) {
        raw("[");
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0)
                raw(", ");
            number(values[i]);
        }
        raw("]");
    }
    std::string take() { return std::move(m_text); }

private:
    std::string m_text;
};

// A one-line object: {"a": 1, "b": "x"}.
class Line {
public:
    explicit Line(Out& out) : m_out(out) { m_out.raw("{"); }
    ~Line() { m_out.raw("}"); }
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    Out& member(std::string_view name) {
        if (!m_first)
            m_out.raw(", ");
        m_first = false;
        m_out.key(name);
        return m_out;
    }

private:
    Out& m_out;
    bool m_first = true;
};

// A member of a catalog struct as a JSON member of the same name: the writer and the reader
// share these tables, so a member is always read under the name it was written with.
template <typename T> struct Field {
    std::string_view name;
    std::variant<std::string T::*, std::int64_t T::*, bool T::*, double T::*,
                 std::vector<std::string> T::*, int T::*, std::optional<double> T::*,
                 std::optional<std::int64_t> T::*, std::vector<int> T::*>
        member;
    bool required = false;
};

template <typename T, std::size_t N>
void write_fields(Line& line, const T& object, const Field<T> (&fields)[N]) {
    for (const Field<T>& field : fields) {
        Out& out = line.member(field.name);
        std::visit(
            [&](auto member) {
                using Value = std::remove_cvref_t<decltype(object.*member)>;
                if constexpr (std::is_same_v<Value, std::string>)
                    out.string(object.*member);
                else if constexpr (std::is_same_v<Value, std::int64_t>)
                    out.integer(object.*member);
                else if constexpr (std::is_same_v<Value, bool>)
                    out.boolean(object.*member);
                else if constexpr (std::is_same_v<Value, double>)
                    out.number(object.*member);
                else if constexpr (std::is_same_v<Value, int>)
                    out.integer(object.*member);
                else if constexpr (std::is_same_v<Value, std::optional<double>>) {
                    if (object.*member)
                        out.number(*(object.*member));
                    else
                        out.raw("null");
                } else if constexpr (std::is_same_v<Value, std::optional<std::int64_t>>) {
                    if (object.*member)
                        out.integer(*(object.*member));
                    else
                        out.raw("null");
                } else if constexpr (std::is_same_v<Value, std::vector<int>>) {
                    out.raw("[");
                    for (std::size_t i = 0; i < (object.*member).size(); ++i) {
                        if (i > 0)
                            out.raw(", ");
                        out.integer((object.*member)[i]);
                    }
                    out.raw("]");
                } else
                    out.strings(object.*member);
            },
            field.member);
    }
}

const Field<CatalogTable> k_table_names[] = {{"schema", &CatalogTable::schema, true},
                                             {"name", &CatalogTable::name, true}};
const Field<CatalogTable> k_table_fields[] = {
    {"temporary", &CatalogTable::temporary},
    {"is_partition", &CatalogTable::is_partition},
    {"inherits", &CatalogTable::inherits},
    {"parent_schema", &CatalogTable::parent_schema},
    {"parent_name", &CatalogTable::parent_name},
    {"partition_root", &CatalogTable::partition_root},
    {"reltuples", &CatalogTable::reltuples},
    {"relpages", &CatalogTable::relpages},
    {"size_bytes", &CatalogTable::size_bytes},
    {"seq_scan", &CatalogTable::seq_scan},
    {"seq_tup_read", &CatalogTable::seq_tup_read},
    {"idx_scan", &CatalogTable::idx_scan},
    {"n_tup_ins", &CatalogTable::n_tup_ins},
    {"n_tup_upd", &CatalogTable::n_tup_upd},
    {"n_tup_hot_upd", &CatalogTable::n_tup_hot_upd},
    {"n_tup_del", &CatalogTable::n_tup_del},
    {"n_live_tup", &CatalogTable::n_live_tup},
    {"n_dead_tup", &CatalogTable::n_dead_tup},
    {"n_mod_since_analyze", &CatalogTable::n_mod_since_analyze},
    {"ever_analyzed", &CatalogTable::ever_analyzed},
    {"heap_blks_read", &CatalogTable::heap_blks_read},
    {"heap_blks_hit", &CatalogTable::heap_blks_hit},
    {"idx_blks_read", &CatalogTable::idx_blks_read},
    {"idx_blks_hit", &CatalogTable::idx_blks_hit}};
const Field<CatalogIndex> k_index_names[] = {{"schema", &CatalogIndex::schema, true},
                                             {"name", &CatalogIndex::name, true},
                                             {"table_schema", &CatalogIndex::table_schema, true},
                                             {"table", &CatalogIndex::table, true},
                                             {"keys", &CatalogIndex::keys}};
const Field<CatalogIndex> k_index_fields[] = {{"include", &CatalogIndex::include},
                                              {"predicate", &CatalogIndex::predicate},
                                              {"method", &CatalogIndex::method},
                                              {"definition", &CatalogIndex::definition},
                                              {"unique", &CatalogIndex::unique},
                                              {"primary", &CatalogIndex::primary},
                                              {"is_constraint", &CatalogIndex::is_constraint},
                                              {"valid", &CatalogIndex::valid},
                                              {"partitioned", &CatalogIndex::partitioned},
                                              {"size_bytes", &CatalogIndex::size_bytes},
                                              {"idx_scan", &CatalogIndex::idx_scan},
                                              {"idx_blks_hit", &CatalogIndex::idx_blks_hit},
                                              {"idx_blks_read", &CatalogIndex::idx_blks_read}};
const Field<ForeignKey> k_foreign_key_fields[] = {
    {"name", &ForeignKey::name, true},
    {"table_schema", &ForeignKey::table_schema, true},
    {"table", &ForeignKey::table, true},
    {"columns", &ForeignKey::columns},
    {"referenced_schema", &ForeignKey::referenced_schema},
    {"referenced_table", &ForeignKey::referenced_table},
    {"referenced_columns", &ForeignKey::referenced_columns}};
const Field<DatabaseStats> k_database_fields[] = {{"blks_hit", &DatabaseStats::blks_hit},
                                                  {"blks_read", &DatabaseStats::blks_read},
                                                  {"size_bytes", &DatabaseStats::size_bytes},
                                                  {"temp_files", &DatabaseStats::temp_files},
                                                  {"temp_bytes", &DatabaseStats::temp_bytes}};

// Workload::activity, member by member (docs/snapshot.md, "activity"). Ages in seconds are
// as of the capture.
const Field<ClientSession> k_session_fields[] = {
    {"pid", &ClientSession::pid, true},
    {"database", &ClientSession::database},
    {"user", &ClientSession::user},
    {"application", &ClientSession::application},
    {"state", &ClientSession::state},
    {"backend_age_s", &ClientSession::backend_age_s},
    {"xact_age_s", &ClientSession::xact_age_s},
    {"state_age_s", &ClientSession::state_age_s},
    {"xmin_age", &ClientSession::xmin_age},
    {"wait_event_type", &ClientSession::wait_event_type},
    {"wait_event", &ClientSession::wait_event},
    {"blocked_by", &ClientSession::blocked_by},
    {"queryid", &ClientSession::queryid}};
const Field<SessionCounters> k_session_counter_fields[] = {
    {"sessions", &SessionCounters::sessions},
    {"session_time_ms", &SessionCounters::session_time_ms},
    {"active_time_ms", &SessionCounters::active_time_ms},
    {"idle_in_transaction_time_ms", &SessionCounters::idle_in_transaction_time_ms},
    {"abandoned", &SessionCounters::abandoned},
    {"fatal", &SessionCounters::fatal},
    {"killed", &SessionCounters::killed},
    {"window_s", &SessionCounters::window_s}};
const Field<FreezeAge> k_freeze_age_fields[] = {{"schema", &FreezeAge::schema},
                                                {"name", &FreezeAge::name, true},
                                                {"age", &FreezeAge::age},
                                                {"freeze_max_age", &FreezeAge::freeze_max_age},
                                                {"size_bytes", &FreezeAge::size_bytes}};
const Field<PreparedTransaction> k_prepared_fields[] = {
    {"gid", &PreparedTransaction::gid, true},
    {"database", &PreparedTransaction::database},
    {"owner", &PreparedTransaction::owner},
    {"age_s", &PreparedTransaction::age_s},
    {"xid_age", &PreparedTransaction::xid_age},
    {"locks", &PreparedTransaction::locks},
    {"relations", &PreparedTransaction::relations}};
const Field<VacuumState> k_vacuum_fields[] = {
    {"schema", &VacuumState::schema, true},
    {"name", &VacuumState::name, true},
    {"reltuples", &VacuumState::reltuples},
    {"n_live_tup", &VacuumState::n_live_tup},
    {"n_dead_tup", &VacuumState::n_dead_tup},
    {"vacuum_threshold", &VacuumState::vacuum_threshold},
    {"vacuum_scale_factor", &VacuumState::vacuum_scale_factor},
    {"table_autovacuum", &VacuumState::table_autovacuum},
    {"vacuumed_age_s", &VacuumState::vacuumed_age_s},
    {"autovacuumed_age_s", &VacuumState::autovacuumed_age_s},
    {"size_bytes", &VacuumState::size_bytes}};
const Field<SequenceUse> k_sequence_fields[] = {{"schema", &SequenceUse::schema, true},
                                                {"name", &SequenceUse::name, true},
                                                {"data_type", &SequenceUse::data_type},
                                                {"last_value", &SequenceUse::last_value},
                                                {"min_value", &SequenceUse::min_value},
                                                {"max_value", &SequenceUse::max_value},
                                                {"increment", &SequenceUse::increment},
                                                {"column", &SequenceUse::column},
                                                {"column_type", &SequenceUse::column_type}};
const Field<IntegerKey> k_integer_key_fields[] = {{"schema", &IntegerKey::schema, true},
                                                  {"table", &IntegerKey::table, true},
                                                  {"column", &IntegerKey::column, true},
                                                  {"type", &IntegerKey::type},
                                                  {"index", &IntegerKey::index},
                                                  {"max_value", &IntegerKey::max_value},
                                                  {"min_value", &IntegerKey::min_value},
                                                  {"analyzed_age_s", &IntegerKey::analyzed_age_s}};
const Field<TableFootprint> k_footprint_fields[] = {
    {"schema", &TableFootprint::schema, true},
    {"name", &TableFootprint::name, true},
    {"reltuples", &TableFootprint::reltuples},
    {"relpages", &TableFootprint::relpages},
    {"block_size", &TableFootprint::block_size},
    {"fillfactor", &TableFootprint::fillfactor},
    {"columns", &TableFootprint::columns},
    {"columns_with_stats", &TableFootprint::columns_with_stats},
    {"data_width", &TableFootprint::data_width},
    {"max_padding", &TableFootprint::max_padding},
    {"nullable", &TableFootprint::nullable},
    {"analyzed_age_s", &TableFootprint::analyzed_age_s}};
const Field<IndexFootprint> k_index_footprint_fields[] = {
    {"schema", &IndexFootprint::schema, true},
    {"name", &IndexFootprint::name, true},
    {"table_schema", &IndexFootprint::table_schema, true},
    {"table", &IndexFootprint::table, true},
    {"reltuples", &IndexFootprint::reltuples},
    {"relpages", &IndexFootprint::relpages},
    {"block_size", &IndexFootprint::block_size},
    {"fillfactor", &IndexFootprint::fillfactor},
    {"columns", &IndexFootprint::columns},
    {"columns_with_stats", &IndexFootprint::columns_with_stats},
    {"data_width", &IndexFootprint::data_width},
    {"max_padding", &IndexFootprint::max_padding},
    {"nullable", &IndexFootprint::nullable},
    {"analyzed_age_s", &IndexFootprint::analyzed_age_s}};

// The typed members as pg_stat_statements columns, for statements that come without their
// row (built by hand, or by a source that has no pg_stat_statements).
std::vector<StatementColumn> typed_columns() {
    return {{"userid", "oid"},
            {"toplevel", "boolean"},
            {"queryid", "bigint"},
            {"query", "text"},
            {"calls", "bigint"},
            {"total_exec_time", "double precision"},
            {"mean_exec_time", "double precision"},
            {"rows", "bigint"},
            {"shared_blks_hit", "bigint"},
            {"shared_blks_read", "bigint"},
            {"temp_blks_read", "bigint"},
            {"temp_blks_written", "bigint"}};
}

std::vector<StatValue> typed_values(const WorkloadStatement& s) {
    StatValue queryid = s.queryid;
    std::int64_t number = 0;
    if (!s.queryid.empty() &&
        std::from_chars(s.queryid.data(), s.queryid.data() + s.queryid.size(), number).ptr ==
            s.queryid.data() + s.queryid.size())
        queryid = number;
    return {s.userid,          s.toplevel,         queryid,          s.text,
            s.calls,           s.total_ms,         s.mean_ms,        s.rows,
            s.shared_blks_hit, s.shared_blks_read, s.temp_blks_read, s.temp_blks_written};
}

void write_server(Out& out, const Workload& w) {
    out.raw("  \"server\": {\n    \"version\": ");
    out.string(w.server_version);
    out.raw(",\n    \"version_num\": ");
    out.integer(w.server_version_num);
    out.raw(",\n    \"system_identifier\": ");
    out.string(w.capture.system_identifier);
    out.raw(",\n    \"started_at\": ");
    out.string(w.capture.server_started_at);
    out.raw(",\n    \"database\": ");
    out.string(w.database);
    out.raw(",\n    \"database_oid\": ");
    out.integer(w.capture.database_oid);
    out.raw(",\n    \"search_path\": ");
    out.strings(w.search_path);
    out.raw(",\n    \"hypopg_available\": ");
    out.boolean(w.hypopg_available);
    if (!w.extensions.empty()) {
        out.raw(",\n    \"extensions\": ");
        out.strings(w.extensions);
    }
    out.raw(",\n    \"settings\": [");
    for (std::size_t i = 0; i < w.settings.size(); ++i) {
        const Setting& setting = w.settings[i];
        out.raw(i > 0 ? ",\n      " : "\n      ");
        Line line(out);
        line.member("name").string(setting.name);
        line.member("value").string(setting.value);
        line.member("unit").string(setting.unit);
        line.member("setting").string(setting.setting);
    }
    out.raw(w.settings.empty() ? "]\n  },\n" : "\n    ]\n  },\n");
}

void write_database_stats(Out& out, const Workload& w) {
    out.raw("  \"database_stats\": ");
    {
        Line line(out);
        write_fields(line, w.database_stats, k_database_fields);
        line.member("stats_reset").string(w.capture.database_stats_reset);
    }
    out.raw(",\n");
}

void write_statements(Out& out, const Workload& w) {
    const bool generic = !w.statement_columns.empty();
    const std::vector<StatementColumn> columns = generic ? w.statement_columns : typed_columns();
    out.raw("  \"pg_stat_statements\": {\n    \"version\": ");
    out.string(w.capture.statements_version);
    out.raw(",\n    \"info\": ");
    if (w.capture.statements_dealloc) {
        Line line(out);
        line.member("dealloc").integer(*w.capture.statements_dealloc);
        line.member("stats_reset").string(w.capture.statements_reset);
    } else {
        out.raw("null");
    }
    out.raw(",\n    \"columns\": [");
    for (std::size_t i = 0; i < columns.size(); ++i) {
        out.raw(i > 0 ? ",\n      " : "\n      ");
        Line line(out);
        line.member("name").string(columns[i].name);
        line.member("type").string(columns[i].type);
    }
    out.raw(columns.empty() ? "],\n" : "\n    ],\n");
    out.raw("    \"rows\": [");
    for (std::size_t r = 0; r < w.statements.size(); ++r) {
        const WorkloadStatement& statement = w.statements[r];
        std::vector<StatValue> typed;
        const std::vector<StatValue>* values = &statement.values;
        if (!generic || statement.values.size() != columns.size()) {
            typed = typed_values(statement);
            values = &typed;
        }
        out.raw(r > 0 ? ",\n      [" : "\n      [");
        for (std::size_t c = 0; c < values->size(); ++c) {
            if (c > 0)
                out.raw(", ");
            out.value((*values)[c]);
        }
        out.raw("]");
    }
    out.raw(w.statements.empty() ? "]\n  },\n" : "\n    ]\n  },\n");
}

void write_tables(Out& out, const Workload& w) {
    out.raw("  \"tables\": [");
    for (std::size_t i = 0; i < w.tables.size(); ++i) {
        const CatalogTable& t = w.tables[i];
        out.raw(i > 0 ? ",\n    " : "\n    ");
        Line line(out);
        write_fields(line, t, k_table_names);
        line.member("kind").string(std::string(1, t.kind));
        Out& columns = line.member("columns");
        columns.raw("[");
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            if (c > 0)
                columns.raw(", ");
            Line column(columns);
            column.member("name").string(t.columns[c].name);
            column.member("type").string(t.columns[c].type_name);
            column.member("attnum").integer(t.columns[c].attnum);
            column.member("not_null").boolean(t.columns[c].not_null);
        }
        columns.raw("]");
        write_fields(line, t, k_table_fields);
        if (t.analyzed_age_s)
            line.member("analyzed_age_s").number(*t.analyzed_age_s);
    }
    out.raw(w.tables.empty() ? "],\n" : "\n  ],\n");
}

void write_indexes(Out& out, const Workload& w) {
    out.raw("  \"indexes\": [");
    for (std::size_t i = 0; i < w.indexes.size(); ++i) {
        const CatalogIndex& x = w.indexes[i];
        out.raw(i > 0 ? ",\n    " : "\n    ");
        Line line(out);
        write_fields(line, x, k_index_names);
        Out& descending = line.member("descending");
        descending.raw("[");
        for (std::size_t k = 0; k < x.descending.size(); ++k) {
            if (k > 0)
                descending.raw(", ");
            descending.boolean(x.descending[k]);
        }
        descending.raw("]");
        write_fields(line, x, k_index_fields);
    }
    out.raw(w.indexes.empty() ? "],\n" : "\n  ],\n");
}

void write_foreign_keys(Out& out, const Workload& w) {
    out.raw("  \"foreign_keys\": [");
    for (std::size_t i = 0; i < w.foreign_keys.size(); ++i) {
        out.raw(i > 0 ? ",\n    " : "\n    ");
        Line line(out);
        write_fields(line, w.foreign_keys[i], k_foreign_key_fields);
    }
    out.raw(w.foreign_keys.empty() ? "],\n" : "\n  ],\n");
}

const Field<CatalogView> k_view_fields[] = {{"schema", &CatalogView::schema, true},
                                            {"name", &CatalogView::name, true},
                                            {"definition", &CatalogView::definition, true}};

void write_views(Out& out, const Workload& w) {
    out.raw("  \"views\": [");
    for (std::size_t i = 0; i < w.views.size(); ++i) {
        out.raw(i > 0 ? ",\n    " : "\n    ");
        Line line(out);
        write_fields(line, w.views[i], k_view_fields);
    }
    out.raw(w.views.empty() ? "],\n" : "\n  ],\n");
}

void write_column_stats(Out& out, const Workload& w) {
    out.raw("  \"column_stats\": [");
    for (std::size_t i = 0; i < w.column_stats.size(); ++i) {
        const ColumnStats& s = w.column_stats[i];
        out.raw(i > 0 ? ",\n    " : "\n    ");
        Line line(out);
        line.member("schema").string(s.schema);
        line.member("table").string(s.table);
        line.member("column").string(s.column);
        line.member("null_frac").number(s.null_frac);
        line.member("n_distinct").number(s.n_distinct);
        line.member("avg_width").integer(s.avg_width);
        if (s.correlation)
            line.member("correlation").number(*s.correlation);
        else
            line.member("correlation").raw("null");
        line.member("most_common_freqs").numbers(s.most_common_freqs);
        line.member("histogram_count").integer(s.histogram_count);
        // With --no-values the members are absent, not empty: nothing was left to show.
        if (!s.values_omitted) {
            line.member("most_common_vals").strings(s.most_common_vals);
            line.member("histogram_bounds").strings(s.histogram_bounds);
        }
    }
    out.raw(w.column_stats.empty() ? "]" : "\n  ]");
    out.raw(w.activity ? ",\n" : "\n");
}

// One array member of "activity": `"name": [` one object per line `]`.
template <typename T, std::size_t N>
void write_activity_list(Out& out, std::string_view name, const std::vector<T>& items,
                         const Field<T> (&fields)[N]) {
    out.raw(",\n    ");
    out.key(name);
    out.raw("[");
    for (std::size_t i = 0; i < items.size(); ++i) {
        out.raw(i > 0 ? ",\n      " : "\n      ");
        Line line(out);
        write_fields(line, items[i], fields);
    }
    out.raw(items.empty() ? "]" : "\n    ]");
}

void write_activity(Out& out, const ServerActivity& a) {
    out.raw("  \"activity\": {\n    \"stats_window_s\": ");
    out.number(a.stats_window_s);
    out.raw(",\n    \"statements_window_s\": ");
    if (a.statements_window_s)
        out.number(*a.statements_window_s);
    else
        out.raw("null");
    out.raw(",\n    \"session_counters\": ");
    if (a.session_counters) {
        Line line(out);
        write_fields(line, *a.session_counters, k_session_counter_fields);
    } else {
        out.raw("null");
    }
    write_activity_list(out, "sessions", a.sessions, k_session_fields);
    write_activity_list(out, "prepared", a.prepared, k_prepared_fields);
    write_activity_list(out, "databases", a.databases, k_freeze_age_fields);
    write_activity_list(out, "tables", a.tables, k_freeze_age_fields);
    write_activity_list(out, "multixact_databases", a.multixact_databases, k_freeze_age_fields);
    write_activity_list(out, "multixact_tables", a.multixact_tables, k_freeze_age_fields);
    write_activity_list(out, "vacuum", a.vacuum, k_vacuum_fields);
    write_activity_list(out, "sequences", a.sequences, k_sequence_fields);
    write_activity_list(out, "integer_keys", a.integer_keys, k_integer_key_fields);
    write_activity_list(out, "footprints", a.footprints, k_footprint_fields);
    write_activity_list(out, "index_footprints", a.index_footprints, k_index_footprint_fields);
    out.raw(",\n    \"unavailable\": ");
    out.strings(a.unavailable);
    out.raw("\n  }\n");
}

// --- Reading ------------------------------------------------------------------------------

// Thrown inside read_snapshot only, caught at its end and turned into a SnapshotError.
struct Invalid {
    std::string message;
};

std::string_view json_type(const json& value) {
    switch (value.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "an integer";
    case json::value_t::number_float:
        return "a number";
    case json::value_t::string:
        return "a string";
    case json::value_t::array:
        return "an array";
    case json::value_t::object:
        return "an object";
    default:
        return "something else";
    }
}

// The JSON pointer of a member, for messages: /tables/3/name.
std::string child(const std::string& path, std::string_view key) {
    std::string out = path + "/";
    for (const char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}
std::string child(const std::string& path, std::size_t index) {
    return path + "/" + std::to_string(index);
}

[[noreturn]] void wrong(const std::string& path, std::string_view expected, const json& value) {
    throw Invalid{fmt::format("{}: expected {}, got {}", path.empty() ? "/" : path, expected,
                              json_type(value))};
}

// NaN and the infinities as PostgreSQL prints them, the way write_snapshot writes them;
// nullopt for any other value.
std::optional<double> special_number(const json& value) {
    if (!value.is_string())
        return std::nullopt;
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity")
        return std::numeric_limits<double>::infinity();
    if (text == "-Infinity")
        return -std::numeric_limits<double>::infinity();
    return std::nullopt;
}

// A JSON object and its path; member getters check types and give defaults for missing or
// null members unless the member is required.
class Object {
public:
    Object(const json& value, std::string path) : m_value(value), m_path(std::move(path)) {
        if (!m_value.is_object())
            wrong(m_path, "an object", m_value);
    }

    const json* find(std::string_view key) const {
        const auto it = m_value.find(std::string(key));
        return it == m_value.end() || it->is_null() ? nullptr : &*it;
    }
    const json& require(std::string_view key) const {
        const json* found = find(key);
        if (found == nullptr)
            throw Invalid{
                fmt::format("{}: missing member \"{}\"", m_path.empty() ? "/" : m_path, key)};
        return *found;
    }
    std::string path(std::string_view key) const { return child(m_path, key); }

    std::string text(std::string_view key, bool required = false) const {
        const json* v = required ? &require(key) : find(key);
        if (v == nullptr)
            return {};
        if (!v->is_string())
            wrong(path(key), "a string", *v);
        return v->get<std::string>();
    }
    std::int64_t integer(std::string_view key, bool required = false) const {
        const json* v = required ? &require(key) : find(key);
        if (v == nullptr)
            return 0;
        return integer_value(*v, path(key));
    }
    // An integer that is never negative: an oid, a count.
    std::int64_t count(std::string_view key) const {
        const std::int64_t value = integer(key);
        if (value < 0)
            throw Invalid{fmt::format("{}: {} is negative", path(key), value)};
        return value;
    }
    double number(std::string_view key, bool required = false) const {
        const json* v = required ? &require(key) : find(key);
        if (v == nullptr)
            return 0;
        return number_value(*v, path(key));
    }
    // A timestamp as PostgreSQL prints it (DateStyle ISO), empty when absent. Windows order
    // captures and find resets by these: free text would silently compare as unknown.
    std::string timestamp(std::string_view key, bool required = false) const {
        std::string value = text(key, required);
        if ((required || !value.empty()) && !parse_timestamp_us(value))
            throw Invalid{fmt::format("{}: \"{}\" is not a timestamp (expected ISO 8601 as "
                                      "PostgreSQL prints it: \"2025-03-01 12:00:00.123456+00\")",
                                      path(key), value)};
        return value;
    }
    // An integer that fits an int (a pid, a block size, a column count).
    int integer32(std::string_view key, bool required = false) const {
        const std::int64_t value = integer(key, required);
        if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
            throw Invalid{fmt::format("{}: {} is out of range", path(key), value)};
        return static_cast<int>(value);
    }
    std::vector<int> integers32(std::string_view key) const {
        std::vector<int> out;
        for_each(key, [&](const json& item, const std::string& at) {
            const std::int64_t value = integer_value(item, at);
            if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
                throw Invalid{fmt::format("{}: {} is out of range", at, value)};
            out.push_back(static_cast<int>(value));
        });
        return out;
    }
    std::optional<std::int64_t> optional_integer(std::string_view key) const {
        const json* v = find(key);
        if (v == nullptr)
            return std::nullopt;
        return integer_value(*v, path(key));
    }
    std::optional<double> optional_number(std::string_view key) const {
        const json* v = find(key);
        if (v == nullptr)
            return std::nullopt;
        return number_value(*v, path(key));
    }
    bool boolean(std::string_view key, bool fallback = false) const {
        const json* v = find(key);
        if (v == nullptr)
            return fallback;
        if (!v->is_boolean())
            wrong(path(key), "a boolean", *v);
        return v->get<bool>();
    }
    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        for_each(key, [&](const json& item, const std::string& at) {
            if (!item.is_string())
                wrong(at, "a string", item);
            out.push_back(item.get<std::string>());
        });
        return out;
    }
    std::vector<double> numbers(std::string_view key) const {
        std::vector<double> out;
        for_each(key, [&](const json& item, const std::string& at) {
            out.push_back(number_value(item, at));
        });
        return out;
    }
    template <typename F>
    void for_each(std::string_view key, F&& each, bool required = false) const {
        const json* v = required ? &require(key) : find(key);
        if (v == nullptr)
            return;
        if (!v->is_array())
            wrong(path(key), "an array", *v);
        const std::string base = path(key);
        for (std::size_t i = 0; i < v->size(); ++i)
            each((*v)[i], child(base, i));
    }

    // A JSON number, or one of the strings write_snapshot writes for NaN and infinities.
    static double number_value(const json& v, const std::string& at) {
        if (v.is_number())
            return v.get<double>();
        if (const std::optional<double> special = special_number(v))
            return *special;
        wrong(at, "a number", v);
    }

    static std::int64_t integer_value(const json& v, const std::string& at) {
        // is_number_integer() holds for unsigned numbers too: look at those first.
        if (v.is_number_unsigned()) {
            const auto u = v.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                throw Invalid{fmt::format("{}: integer {} is out of range", at, u)};
            return static_cast<std::int64_t>(u);
        }
        if (v.is_number_integer())
            return v.get<std::int64_t>();
        wrong(at, "an integer", v);
    }

private:
    const json& m_value;
    std::string m_path;
};

// Reads the members of `fields` that are present; the others keep the struct's defaults.
template <typename T, std::size_t N>
void read_fields(const Object& object, T& out, const Field<T> (&fields)[N]) {
    for (const Field<T>& field : fields) {
        if (!field.required && object.find(field.name) == nullptr)
            continue;
        std::visit(
            [&](auto member) {
                using Value = std::remove_cvref_t<decltype(out.*member)>;
                if constexpr (std::is_same_v<Value, std::string>)
                    out.*member = object.text(field.name, field.required);
                else if constexpr (std::is_same_v<Value, std::int64_t>)
                    out.*member = object.integer(field.name, field.required);
                else if constexpr (std::is_same_v<Value, bool>)
                    out.*member = object.boolean(field.name);
                else if constexpr (std::is_same_v<Value, double>)
                    out.*member = object.number(field.name, field.required);
                else if constexpr (std::is_same_v<Value, int>)
                    out.*member = object.integer32(field.name, field.required);
                else if constexpr (std::is_same_v<Value, std::optional<double>>)
                    out.*member = object.optional_number(field.name);
                else if constexpr (std::is_same_v<Value, std::optional<std::int64_t>>)
                    out.*member = object.optional_integer(field.name);
                else if constexpr (std::is_same_v<Value, std::vector<int>>)
                    out.*member = object.integers32(field.name);
                else
                    out.*member = object.strings(field.name);
            },
            field.member);
    }
}

// A value as the messages show it: 42, -1.5, NaN, "text", null.
std::string shown(const StatValue& value) {
    if (const auto* b = std::get_if<bool>(&value))
        return *b ? "true" : "false";
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&value)) {
        if (std::isnan(*d))
            return "NaN";
        if (std::isinf(*d))
            return *d > 0 ? "Infinity" : "-Infinity";
        return fmt::format("{}", *d);
    }
    if (const auto* text = std::get_if<std::string>(&value))
        return json(*text).dump(-1, ' ', false, json::error_handler_t::replace);
    return "null";
}

// Refuses a negative value of the integer members of `fields` (but those in `signed_ones`):
// scans, tuples, blocks and sizes of the statistics views count from zero. The catalog is
// refused whole rather than left out piece by piece: an index without its scans would look
// unused, a table left out would leave its statements without their table.
template <typename T, std::size_t N>
void require_non_negative(const Object& object, const T& value, const Field<T> (&fields)[N],
                          std::initializer_list<std::string_view> signed_ones = {}) {
    for (const Field<T>& field : fields) {
        const auto* member = std::get_if<std::int64_t T::*>(&field.member);
        if (member == nullptr || std::ranges::find(signed_ones, field.name) != signed_ones.end())
            continue;
        if (value.**member < 0)
            throw Invalid{fmt::format("{}: {} is negative: a counter or size never is",
                                      object.path(field.name), value.**member)};
    }
}

// Why a pg_stats row cannot be what the server showed, or nullopt. pg_stats documents
// null_frac as a fraction, n_distinct as a count above zero or minus a fraction of the rows
// (-1: every row distinct; 0: unknown), correlation from -1 to +1 (a float4 that may be NaN),
// and most_common_freqs as fractions. The selectivity model would turn anything else into
// negative or impossible row counts.
std::optional<std::string> check_column_stats(const ColumnStats& stats) {
    const auto fraction = [](double value) { return value >= 0 && value <= 1; };
    if (!fraction(stats.null_frac))
        return fmt::format("null_frac is {}: a fraction from 0 to 1", shown(stats.null_frac));
    if (!(stats.n_distinct >= -1) || std::isinf(stats.n_distinct))
        return fmt::format("n_distinct is {}: a count of values, or from -1 to 0 a fraction of "
                           "the rows",
                           shown(stats.n_distinct));
    if (stats.correlation && !std::isnan(*stats.correlation) &&
        !(std::abs(*stats.correlation) <= 1))
        return fmt::format("correlation is {}: from -1 to 1", shown(*stats.correlation));
    for (const double frequency : stats.most_common_freqs) {
        if (!fraction(frequency))
            return fmt::format("most_common_freqs has {}: a fraction from 0 to 1",
                               shown(frequency));
    }
    return std::nullopt;
}

StatValue row_value(const json& v, const StatementColumn& column, const std::string& at) {
    if (v.is_null())
        return std::monostate{};
    switch (value_kind(column.type)) {
    case ValueKind::boolean:
        if (!v.is_boolean())
            wrong(at, fmt::format("a boolean ({} is {})", column.name, column.type), v);
        return v.get<bool>();
    case ValueKind::integer:
        if (v.is_number_integer() || v.is_number_unsigned())
            return Object::integer_value(v, at);
        // A consumer may have written a 64-bit queryid as text to keep it exact.
        if (v.is_string()) {
            StatValue parsed = stat_value_from_text(column.type, v.get<std::string>());
            if (std::holds_alternative<std::int64_t>(parsed))
                return parsed;
        }
        wrong(at, fmt::format("an integer ({} is {})", column.name, column.type), v);
    case ValueKind::number:
        if (v.is_number())
            return v.get<double>();
        if (const std::optional<double> special = special_number(v))
            return *special;
        // Other text is kept for check_row to refuse, as stat_value_from_text keeps libpq's.
        if (v.is_string())
            return v.get<std::string>();
        wrong(at, fmt::format("a number ({} is {})", column.name, column.type), v);
    case ValueKind::text:
        break;
    }
    // Types dbadvise does not know: keep whatever scalar the snapshot holds.
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>();
    if (v.is_number_integer() || v.is_number_unsigned())
        return Object::integer_value(v, at);
    if (v.is_number_float())
        return v.get<double>();
    wrong(at, fmt::format("a string ({} is {})", column.name, column.type), v);
}

// The columns analyze reads from every row: pg_stat_statements never leaves them NULL.
bool read_by_analyze(std::string_view column) {
    return column == "calls" || column == "rows" || column == "total_exec_time" ||
           column == "total_time" || column == "shared_blks_hit" || column == "shared_blks_read" ||
           column == "temp_blks_read" || column == "temp_blks_written";
}

// Why a pg_stat_statements row cannot be what the server showed, or nullopt. Counters (calls,
// times, rows, blocks, WAL, JIT) start at zero and only grow until a reset, as float8 sums of
// non-negative durations or bigint counts: never negative, NaN or infinite. min/max/mean/
// stddev are non-negative; a float8 stddev may come out NaN, which the server prints and is
// kept. userid and dbid are oids. Timestamps (stats_since, 17+) are what windows use to spot
// a reset entry. A NULL queryid is the server's own (a role without pg_read_all_stats sees
// other users' entries so), and a NULL in a column analyze does not read is kept.
std::optional<std::string> check_row(const WorkloadStatement& statement,
                                     const std::vector<StatementColumn>& columns) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
        const StatementColumn& column = columns[c];
        const StatValue& value = statement.values[c];
        const bool null = std::holds_alternative<std::monostate>(value);
        if (column.name == "userid" || column.name == "dbid") {
            if (null)
                return fmt::format("{} is null: every entry has one", column.name);
            if (const auto* i = std::get_if<std::int64_t>(&value); i != nullptr && *i < 0)
                return fmt::format("{} is {}: an oid is never negative", column.name, *i);
            continue;
        }
        if (column.type.starts_with("timestamp")) {
            if (const auto* text = std::get_if<std::string>(&value);
                text != nullptr && !parse_timestamp_us(*text))
                return fmt::format("{} is {}: not a timestamp", column.name, shown(value));
            continue;
        }
        const ColumnRole role = column_role(column);
        if (role != ColumnRole::counter && role != ColumnRole::derived)
            continue;
        if (null) {
            if (read_by_analyze(column.name))
                return fmt::format("{} is null: pg_stat_statements always has a value there",
                                   column.name);
            continue;
        }
        if (std::holds_alternative<std::string>(value))
            return fmt::format("{} is {}: not a number", column.name, shown(value));
        double number = 0;
        if (const auto* i = std::get_if<std::int64_t>(&value))
            number = static_cast<double>(*i);
        else if (const auto* d = std::get_if<double>(&value))
            number = *d;
        if (role == ColumnRole::derived) {
            if (number < 0)
                return fmt::format("{} is {}: never negative", column.name, shown(value));
            continue;
        }
        if (std::isnan(number) || std::isinf(number))
            return fmt::format("{} is {}: a counter is a finite number", column.name, shown(value));
        if (number < 0)
            return fmt::format("{} is {}: a counter is never negative", column.name, shown(value));
    }
    return std::nullopt;
}

// What identifies an entry of pg_stat_statements: its hash key is userid, dbid, queryid and
// (14+) toplevel, so the view has one row per such tuple. Empty when the queryid is NULL:
// several entries of another role show so and are not the same.
std::string entry_key(const WorkloadStatement& statement,
                      const std::vector<StatementColumn>& columns) {
    const int queryid = column_index(columns, "queryid");
    if (queryid < 0 ||
        std::holds_alternative<std::monostate>(statement.values[static_cast<std::size_t>(queryid)]))
        return {};
    std::string key;
    for (const std::string_view name : {"userid", "dbid", "queryid", "toplevel"}) {
        if (const int at = column_index(columns, name); at >= 0)
            key += shown(statement.values[static_cast<std::size_t>(at)]);
        key += '\x1f';
    }
    return key;
}

// "/pg_stat_statements/rows/3 (queryid 42, userid 10, toplevel true)".
std::string row_where(const std::string& at, const WorkloadStatement& statement,
                      const std::vector<StatementColumn>& columns) {
    std::string where =
        fmt::format("{} (queryid {}", at, statement.queryid.empty() ? "null" : statement.queryid);
    for (const std::string_view name : {"userid", "toplevel"}) {
        if (const int c = column_index(columns, name); c >= 0)
            where +=
                fmt::format(", {} {}", name, shown(statement.values[static_cast<std::size_t>(c)]));
    }
    return where + ")";
}

void read_statements(const Object& root, Workload& w, std::vector<SnapshotProblem>& problems) {
    const Object pgss(root.require("pg_stat_statements"), root.path("pg_stat_statements"));
    w.capture.statements_version = pgss.text("version");
    if (const json* info = pgss.find("info")) {
        const Object object(*info, pgss.path("info"));
        w.capture.statements_dealloc = object.integer("dealloc", true);
        if (*w.capture.statements_dealloc < 0)
            throw Invalid{fmt::format("{}: {} is negative: a counter never is",
                                      object.path("dealloc"), *w.capture.statements_dealloc)};
        w.capture.statements_reset = object.timestamp("stats_reset");
    }
    pgss.for_each(
        "columns",
        [&](const json& item, const std::string& at) {
            const Object column(item, at);
            StatementColumn parsed{column.text("name", true), column.text("type", true)};
            if (column_index(w.statement_columns, parsed.name) >= 0)
                throw Invalid{fmt::format("{}: column \"{}\" appears twice", at, parsed.name)};
            w.statement_columns.push_back(std::move(parsed));
        },
        true);
    if (auto checked = check_statement_columns(w.statement_columns); !checked) {
        throw Invalid{fmt::format("{}: {} (needed: queryid, query, calls, rows and "
                                  "total_exec_time or total_time)",
                                  pgss.path("columns"), checked.error())};
    }
    const std::vector<StatementColumn>& columns = w.statement_columns;
    std::map<std::string, std::string> entries; // entry_key -> where it was first
    pgss.for_each(
        "rows",
        [&](const json& row, const std::string& at) {
            if (!row.is_array())
                wrong(at, "an array of column values", row);
            if (row.size() != columns.size())
                throw Invalid{
                    fmt::format("{}: {} values for {} columns", at, row.size(), columns.size())};
            WorkloadStatement statement;
            statement.values.reserve(columns.size());
            for (std::size_t c = 0; c < columns.size(); ++c)
                statement.values.push_back(row_value(row[c], columns[c], child(at, c)));
            fill_statement(statement, columns);
            if (std::optional<std::string> problem = check_row(statement, columns)) {
                problems.push_back({SnapshotProblem::Kind::invalid_value,
                                    row_where(at, statement, columns), std::move(*problem)});
                return;
            }
            if (std::string key = entry_key(statement, columns); !key.empty()) {
                const auto [first, inserted] = entries.emplace(std::move(key), at);
                if (!inserted) {
                    problems.push_back(
                        {SnapshotProblem::Kind::duplicate_statement,
                         row_where(at, statement, columns),
                         fmt::format("the same entry as {}: pg_stat_statements has one row per "
                                     "userid, dbid, queryid and toplevel",
                                     first->second)});
                    return;
                }
            }
            w.statements.push_back(std::move(statement));
        },
        true);
}

void read_server(const Object& root, Workload& w) {
    const Object server(root.require("server"), root.path("server"));
    w.server_version = server.text("version");
    const std::int64_t version_num = server.integer("version_num", true);
    if (version_num < 0 || version_num > std::numeric_limits<int>::max())
        throw Invalid{fmt::format("{}: {} is not a server_version_num", server.path("version_num"),
                                  version_num)};
    w.server_version_num = static_cast<int>(version_num);
    w.capture.system_identifier = server.text("system_identifier");
    w.capture.server_started_at = server.timestamp("started_at");
    w.database = server.text("database", true);
    w.capture.database_oid = server.count("database_oid");
    w.search_path = server.strings("search_path");
    w.hypopg_available = server.boolean("hypopg_available");
    w.extensions = server.strings("extensions");
    server.for_each("settings", [&](const json& item, const std::string& at) {
        const Object setting(item, at);
        w.settings.push_back({setting.text("name", true), setting.text("value"),
                              setting.text("unit"), setting.text("setting")});
    });
    if (const json* stats = root.find("database_stats")) {
        const Object db(*stats, root.path("database_stats"));
        read_fields(db, w.database_stats, k_database_fields);
        require_non_negative(db, w.database_stats, k_database_fields);
        w.capture.database_stats_reset = db.timestamp("stats_reset");
    }
}

void read_catalog(const Object& root, Workload& w, std::vector<SnapshotProblem>& problems) {
    root.for_each("tables", [&](const json& item, const std::string& at) {
        const Object t(item, at);
        CatalogTable table;
        read_fields(t, table, k_table_names);
        read_fields(t, table, k_table_fields);
        // relpages is an int4 holding a block count: past 2^31 blocks (16 TB at 8 kB) the
        // server shows it negative, so it is not refused.
        require_non_negative(t, table, k_table_fields, {"relpages"});
        // -1: never analyzed nor vacuumed (14+; 0 before).
        if (!(table.reltuples >= -1) || std::isinf(table.reltuples))
            throw Invalid{fmt::format("{}: {} is not a row estimate (-1 when never analyzed, "
                                      "else a count of rows)",
                                      t.path("reltuples"), shown(table.reltuples))};
        const std::string kind = t.text("kind");
        if (kind.size() > 1)
            throw Invalid{fmt::format("{}: expected one relkind letter", t.path("kind"))};
        table.kind = kind.empty() ? 'r' : kind.front();
        table.analyzed_age_s = t.optional_number("analyzed_age_s");
        t.for_each("columns", [&](const json& c, const std::string& column_at) {
            const Object column(c, column_at);
            const std::int64_t attnum = column.integer("attnum");
            if (attnum < std::numeric_limits<int>::min() ||
                attnum > std::numeric_limits<int>::max())
                throw Invalid{
                    fmt::format("{}: attnum {} is out of range", column.path("attnum"), attnum)};
            table.columns.push_back({column.text("name", true), column.text("type"),
                                     static_cast<int>(attnum), column.boolean("not_null")});
        });
        w.tables.push_back(std::move(table));
    });
    root.for_each("indexes", [&](const json& item, const std::string& at) {
        const Object x(item, at);
        CatalogIndex index;
        read_fields(x, index, k_index_names);
        read_fields(x, index, k_index_fields);
        require_non_negative(x, index, k_index_fields);
        x.for_each("descending", [&](const json& d, const std::string& d_at) {
            if (!d.is_boolean())
                wrong(d_at, "a boolean", d);
            index.descending.push_back(d.get<bool>());
        });
        // The analyzer reads one direction per key.
        if (index.descending.size() != index.keys.size())
            index.descending.resize(index.keys.size(), false);
        if (index.method.empty())
            index.method = "btree";
        w.indexes.push_back(std::move(index));
    });
    root.for_each("foreign_keys", [&](const json& item, const std::string& at) {
        ForeignKey key;
        read_fields(Object(item, at), key, k_foreign_key_fields);
        w.foreign_keys.push_back(std::move(key));
    });
    root.for_each("views", [&](const json& item, const std::string& at) {
        CatalogView view;
        read_fields(Object(item, at), view, k_view_fields);
        w.views.push_back(std::move(view));
    });
    root.for_each("column_stats", [&](const json& item, const std::string& at) {
        const Object s(item, at);
        ColumnStats stats;
        stats.schema = s.text("schema", true);
        stats.table = s.text("table", true);
        stats.column = s.text("column", true);
        stats.null_frac = s.number("null_frac");
        stats.n_distinct = s.number("n_distinct");
        const std::int64_t width = s.integer("avg_width");
        stats.avg_width =
            width > 0 && width <= std::numeric_limits<int>::max() ? static_cast<int>(width) : 0;
        stats.correlation = s.optional_number("correlation");
        stats.most_common_freqs = s.numbers("most_common_freqs");
        stats.most_common_vals = s.strings("most_common_vals");
        stats.histogram_bounds = s.strings("histogram_bounds");
        const std::int64_t count = s.integer("histogram_count");
        stats.histogram_count = count > 0 && count <= std::numeric_limits<int>::max()
                                    ? static_cast<int>(count)
                                    : static_cast<int>(stats.histogram_bounds.size());
        stats.values_omitted =
            s.find("most_common_vals") == nullptr && s.find("histogram_bounds") == nullptr;
        // The selectivity model pairs values with frequencies: a list of values that does
        // not match its frequencies is not used.
        if (!stats.most_common_vals.empty() &&
            stats.most_common_vals.size() != stats.most_common_freqs.size())
            throw Invalid{fmt::format("{}: {} most_common_vals for {} most_common_freqs", at,
                                      stats.most_common_vals.size(),
                                      stats.most_common_freqs.size())};
        if (std::optional<std::string> problem = check_column_stats(stats)) {
            problems.push_back(
                {SnapshotProblem::Kind::invalid_value,
                 fmt::format("{} ({}.{}.{})", at, stats.schema, stats.table, stats.column),
                 std::move(*problem)});
            return;
        }
        w.column_stats.push_back(std::move(stats));
    });
}

template <typename T, std::size_t N>
void read_activity_list(const Object& activity, std::string_view name, std::vector<T>& items,
                        const Field<T> (&fields)[N]) {
    activity.for_each(name, [&](const json& item, const std::string& at) {
        T value;
        read_fields(Object(item, at), value, fields);
        items.push_back(std::move(value));
    });
}

// "activity": an optional member of format 1, absent from snapshots written before it was
// added. Then Workload::activity stays empty and the snapshot source says which checks that
// skips.
void read_activity(const Object& root, Workload& w) {
    const json* member = root.find("activity");
    if (member == nullptr)
        return;
    const Object a(*member, root.path("activity"));
    ServerActivity activity;
    activity.stats_window_s = a.number("stats_window_s");
    activity.statements_window_s = a.optional_number("statements_window_s");
    if (const json* counters = a.find("session_counters")) {
        SessionCounters c;
        read_fields(Object(*counters, a.path("session_counters")), c, k_session_counter_fields);
        activity.session_counters = c;
    }
    read_activity_list(a, "sessions", activity.sessions, k_session_fields);
    read_activity_list(a, "prepared", activity.prepared, k_prepared_fields);
    read_activity_list(a, "databases", activity.databases, k_freeze_age_fields);
    read_activity_list(a, "tables", activity.tables, k_freeze_age_fields);
    read_activity_list(a, "multixact_databases", activity.multixact_databases, k_freeze_age_fields);
    read_activity_list(a, "multixact_tables", activity.multixact_tables, k_freeze_age_fields);
    read_activity_list(a, "vacuum", activity.vacuum, k_vacuum_fields);
    read_activity_list(a, "sequences", activity.sequences, k_sequence_fields);
    read_activity_list(a, "integer_keys", activity.integer_keys, k_integer_key_fields);
    read_activity_list(a, "footprints", activity.footprints, k_footprint_fields);
    read_activity_list(a, "index_footprints", activity.index_footprints, k_index_footprint_fields);
    activity.unavailable = a.strings("unavailable");
    w.activity = std::move(activity);
}

// 1-based line and column of byte `offset` in `text`.
std::pair<int, int> line_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, static_cast<int>(offset - line_start) + 1};
}

Workload read_document(const json& document, std::string_view tool_version,
                       std::vector<SnapshotProblem>& problems) {
    if (!document.is_object())
        wrong("", "an object (a dbadvise snapshot)", document);
    const Object root(document, "");
    const json* version = root.find("snapshot_version");
    if (version == nullptr) {
        if (root.find("schema_version") != nullptr && root.find("findings") != nullptr)
            throw Invalid{
                "a dbadvise report, not a snapshot: take one with `dbadvise snapshot -o FILE`"};
        throw Invalid{"not a dbadvise snapshot: no \"snapshot_version\" member"};
    }
    if (!version->is_number_integer() && !version->is_number_unsigned())
        wrong("/snapshot_version", "an integer", *version);
    const std::int64_t format = Object::integer_value(*version, "/snapshot_version");
    std::string writer = "an unknown version of dbadvise";
    if (const json* tool = root.find("tool"); tool != nullptr && tool->is_object()) {
        const auto it = tool->find("version");
        if (it != tool->end() && it->is_string())
            writer = "dbadvise " + it->get<std::string>();
    }
    if (format > k_snapshot_version) {
        throw Invalid{fmt::format(
            "written by {} in snapshot format {}; this dbadvise {} reads snapshot format {} "
            "and older: upgrade dbadvise to read it",
            writer, format, tool_version, k_snapshot_version)};
    }
    if (format < 1)
        throw Invalid{fmt::format("/snapshot_version: {} is not a snapshot format", format)};

    Workload w;
    w.capture.captured_at = root.timestamp("captured_at", true);
    w.capture.values_omitted = root.boolean("values_omitted");
    w.capture.statement_limit = root.count("statement_limit");
    read_server(root, w);
    read_statements(root, w, problems);
    read_catalog(root, w, problems);
    read_activity(root, w);
    mark_truncated_statements(w);
    return w;
}

} // namespace

std::string write_snapshot(const Workload& workload, std::string_view tool_version) {
    Out out;
    out.raw("{\n  \"snapshot_version\": ");
    out.integer(k_snapshot_version);
    out.raw(",\n  \"tool\": {\"name\": \"dbadvise\", \"version\": ");
    out.string(tool_version);
    out.raw("},\n  \"captured_at\": ");
    out.string(workload.capture.captured_at);
    out.raw(",\n  \"values_omitted\": ");
    out.boolean(workload.capture.values_omitted);
    out.raw(",\n  \"statement_limit\": ");
    out.integer(workload.capture.statement_limit);
    out.raw(",\n");
    write_server(out, workload);
    write_database_stats(out, workload);
    write_statements(out, workload);
    write_tables(out, workload);
    write_indexes(out, workload);
    write_foreign_keys(out, workload);
    write_views(out, workload);
    write_column_stats(out, workload);
    if (workload.activity)
        write_activity(out, *workload.activity);
    out.raw("}\n");
    return out.take();
}

std::expected<Workload, SnapshotError> read_snapshot(std::string_view text,
                                                     std::string_view tool_version,
                                                     std::vector<SnapshotProblem>* problems) {
    json document;
    try {
        document = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        std::string_view what = e.what();
        // "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error
        // ...": the position is computed here from the byte offset; keep the explanation.
        if (const std::size_t at = what.find(": "); at != std::string_view::npos)
            what.remove_prefix(at + 2);
        // nlohmann counts the byte it stopped at, 1-based.
        const auto [line, column] = line_column(text, e.byte > 0 ? e.byte - 1 : 0);
        return std::unexpected(SnapshotError{fmt::format("invalid JSON: {}", what), line, column});
    } catch (const json::exception& e) {
        return std::unexpected(SnapshotError{fmt::format("invalid JSON: {}", e.what()), 0, 0});
    }
    try {
        std::vector<SnapshotProblem> found;
        Workload workload = read_document(document, tool_version, found);
        if (problems != nullptr)
            problems->insert(problems->end(), std::make_move_iterator(found.begin()),
                             std::make_move_iterator(found.end()));
        return workload;
    } catch (const Invalid& invalid) {
        return std::unexpected(SnapshotError{invalid.message, 0, 0});
    } catch (const json::exception& e) {
        // Every access is type-checked first; this is a safety net, never expected.
        return std::unexpected(
            SnapshotError{fmt::format("unreadable snapshot: {}", e.what()), 0, 0});
    }
}

} // namespace dbadvise::analyzer
