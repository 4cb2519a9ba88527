// A plan rule: one check over a parsed EXPLAIN plan, reporting findings of one registered rule
// (analyzer/rule_registry.hpp holds its id, category, severity and rationale). Each rule lives
// in analyzer/plan/rules/<id>.cpp.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/text.hpp"
#include "analyzer/plan/plan_model.hpp"

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dbadvise::analyzer::plan {

struct ConditionColumn;

/// State the rules share during one check_plan: condition texts parsed once each (a plan
/// over many partitions repeats the same Filter on every one).
class PlanCheckContext {
public:
    /// condition_columns(condition), memoised.
    const std::vector<ConditionColumn>& columns(const std::string& condition);

private:
    std::unordered_map<std::string, std::vector<ConditionColumn>> m_columns;
};

struct PlanRule {
    RuleId id;
    /// Appends findings about `plan` to `out`, all of rule `id`. Sets title, message,
    /// subject (the node path), location (line and node path; the caller adds the file),
    /// evidence, suggestion and rank (the node's exclusive time in ms). Never throws.
    void (*check)(const Plan& plan, PlanCheckContext& context, std::vector<Finding>& out);
};

/// Every plan rule, in id order.
std::span<const PlanRule> plan_rules();

/// Starts a finding of `rule` about `node`: location (line, node path), subject (node path),
/// rank (exclusive time) and the node's type and relation as evidence.
Finding make_plan_finding(RuleId rule, const PlanNode& node, std::string title,
                          std::string message);

/// How a column is compared in a condition, for ordering the keys of a suggested index.
enum class ColumnUse { equality, range, other };

/// A column named in a Filter or Index Cond text.
struct ConditionColumn {
    std::string qualifier; // as printed ("o" in "o.status"); empty when unqualified
    std::string name;
    ColumnUse use = ColumnUse::other;
    bool in_or = false; // under an OR: not usable alone as an index key
};

/// The columns a condition as printed by EXPLAIN compares ("((status = 'x'::text) AND
/// (amount > '10'::numeric))"), read by parsing it with libpg_query as a WHERE clause.
/// References to subplans are neutralised first. Empty when the text does not parse.
std::vector<ConditionColumn> condition_columns(std::string_view condition);

/// Keeps the columns of `node`'s own relation (qualifier empty, the alias or the relation
/// name), once each, equality before range before other, skipping OR'ed ones.
std::vector<std::string> index_keys(const PlanNode& node,
                                    const std::vector<ConditionColumn>& columns);

/// "CREATE INDEX CONCURRENTLY orders_status_amount_idx ON public.orders (status, amount);"
std::string create_index_sql(const PlanNode& node, const std::vector<std::string>& keys);

/// The relation as SQL names it: "public.orders" or "orders", quoted where needed.
std::string qualified_relation(const PlanNode& node);


/// A memory size in kB as a work_mem value rounded up to whole MB: "1MB", "17MB".
std::string work_mem_value(double kb);

/// "Seq Scan on orders at Plan/Plans[0]": the node as findings name it.
std::string describe(const PlanNode& node);

} // namespace dbadvise::analyzer::plan
