#include "analyzer/planner.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

namespace dbadvise::analyzer {

namespace {

// PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes.
constexpr std::size_t k_max_identifier = 63;

// One name fragment from a key: `lower(email)` -> `lower_email`, `"Order Date" DESC` ->
// `order_date_desc`. Only [a-z0-9_] survive, runs of anything else become one `_`.
std::string name_fragment(std::string_view text) {
    std::string out;
    bool pending_underscore = false;
    for (const char raw : text) {
        char c = raw;
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (pending_underscore && !out.empty()) {
                out += '_';
            }
            pending_underscore = false;
            out += c;
        } else {
            pending_underscore = true;
        }
    }
    return out;
}

} // namespace

std::string IndexSpec::on_clause() const {
    std::string out = "ON ";
    if (!table_schema.empty()) {
        out += quote_identifier(table_schema);
        out += '.';
    }
    out += quote_identifier(table);
    if (!method.empty() && method != "btree") {
        out += " USING ";
        out += method;
    }
    if (opclass.empty()) {
        out += fmt::format(" ({})", fmt::join(keys, ", "));
    } else {
        std::vector<std::string> with_class;
        for (const std::string& key : keys) {
            with_class.push_back(key + " " + opclass);
        }
        out += fmt::format(" ({})", fmt::join(with_class, ", "));
    }
    if (!include.empty()) {
        out += fmt::format(" INCLUDE ({})", fmt::join(include, ", "));
    }
    if (!predicate.empty()) {
        out += " WHERE ";
        out += predicate;
    }
    return out;
}

std::string IndexSpec::create_sql(const std::string& index_name) const {
    return fmt::format("CREATE INDEX CONCURRENTLY {} {};", quote_identifier(index_name), on_clause());
}

IndexSpec IndexSpec::on_table(const std::string& schema, const std::string& name) const {
    IndexSpec moved = *this;
    moved.table_schema = schema;
    moved.table = name;
    return moved;
}

std::string IndexSpec::default_name() const {
    std::vector<std::string> parts;
    parts.push_back(name_fragment(table));
    for (const std::string& key : keys) {
        parts.push_back(name_fragment(key));
    }
    if (!include.empty()) {
        parts.emplace_back("incl");
    }
    if (!predicate.empty()) {
        parts.emplace_back("part");
    }
    std::erase_if(parts, [](const std::string& p) { return p.empty(); });
    std::string name = fmt::format("{}", fmt::join(parts, "_"));
    const std::string suffix = "_idx";
    if (name.size() + suffix.size() > k_max_identifier) {
        name.resize(k_max_identifier - suffix.size());
        while (!name.empty() && name.back() == '_') {
            name.pop_back();
        }
    }
    if (name.empty()) {
        name = "index";
    }
    return name + suffix;
}

std::string index_on_partitioned_sql(const IndexSpec& spec, const std::string& index_name,
                                     const std::vector<IndexPartition>& partitions) {
    auto qualified = [](const std::string& schema, const std::string& name) {
        return schema.empty() ? quote_identifier(name) : quote_identifier(schema) + "." + quote_identifier(name);
    };
    // ON ONLY: the clause after the table name, shared by every level.
    const std::string on = spec.on_clause();
    const std::string table = qualified(spec.table_schema, spec.table);
    const std::string rest = on.substr(std::string("ON ").size() + table.size());
    std::vector<std::pair<std::string, std::string>> names; // table -> its index, qualified
    names.emplace_back(table, qualified(spec.table_schema, index_name));
    std::string out = fmt::format("CREATE INDEX {} ON ONLY {}{};", quote_identifier(index_name), table, rest);
    for (const IndexPartition& partition : partitions) {
        if (partition.foreign) {
            continue;
        }
        const std::string name = spec.on_table(partition.schema, partition.name).default_name();
        const std::string part_table = qualified(partition.schema, partition.name);
        out += '\n';
        out += partition.partitioned
                   ? fmt::format("CREATE INDEX {} ON ONLY {}{};", quote_identifier(name), part_table, rest)
                   : fmt::format("CREATE INDEX CONCURRENTLY {} ON {}{};", quote_identifier(name), part_table, rest);
        const std::string parent = qualified(partition.parent_schema, partition.parent_name);
        const auto parent_index = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == parent; });
        const std::string part_index = qualified(partition.schema, name);
        if (parent_index != names.end()) {
            out += fmt::format("\nALTER INDEX {} ATTACH PARTITION {};", parent_index->second, part_index);
        }
        names.emplace_back(part_table, part_index);
    }
    return out;
}

std::string index_on_inheritance_tree_sql(const IndexSpec& spec, const std::string& index_name,
                                          const std::vector<IndexPartition>& children, bool on_parent) {
    std::string out = on_parent ? spec.create_sql(index_name) : std::string();
    for (const IndexPartition& child : children) {
        if (child.foreign) {
            continue;
        }
        const IndexSpec own = spec.on_table(child.schema, child.name);
        if (!out.empty()) {
            out += '\n';
        }
        out += own.create_sql(own.default_name());
    }
    return out;
}

bool PlanSensitivity::generic_differs() const {
    return std::any_of(custom.begin(), custom.end(),
                       [&](const PlanVariant& variant) { return variant.shape != generic.shape; });
}

bool PlanSensitivity::custom_differ() const {
    return std::any_of(custom.begin(), custom.end(),
                       [&](const PlanVariant& variant) { return variant.shape != custom.front().shape; });
}

double PlanSensitivity::custom_average_cost() const {
    if (custom.empty()) return 0;
    double sum = 0;
    for (const PlanVariant& variant : custom) sum += variant.cost;
    return sum / static_cast<double>(custom.size());
}

bool PlanSensitivity::generic_kept() const { return !custom.empty() && generic.cost <= custom_average_cost(); }

} // namespace dbadvise::analyzer
