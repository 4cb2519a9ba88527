#include "analyzer/workload_source.hpp"

#include <algorithm>
#include <charconv>

namespace dbadvise::analyzer {

namespace {

// queryid is a signed 64-bit number kept as text; compare it as a number, as the server does.
bool queryid_less(const std::string& a, const std::string& b) {
    std::int64_t x = 0;
    std::int64_t y = 0;
    const bool a_number = std::from_chars(a.data(), a.data() + a.size(), x).ec == std::errc();
    const bool b_number = std::from_chars(b.data(), b.data() + b.size(), y).ec == std::errc();
    if (a_number && b_number)
        return x < y;
    return a < b;
}

} // namespace

void select_statements(Workload& workload, const StatementFilter& filter) {
    std::erase_if(workload.statements, [&](const WorkloadStatement& statement) {
        return statement.calls < filter.min_calls || statement.mean_ms < filter.min_mean_ms;
    });
    std::stable_sort(workload.statements.begin(), workload.statements.end(),
                     [](const WorkloadStatement& a, const WorkloadStatement& b) {
                         if (a.total_ms != b.total_ms)
                             return a.total_ms > b.total_ms;
                         if (a.queryid != b.queryid)
                             return queryid_less(a.queryid, b.queryid);
                         if (a.userid != b.userid)
                             return a.userid < b.userid;
                         return a.toplevel && !b.toplevel;
                     });
    if (filter.top > 0 && workload.statements.size() > static_cast<std::size_t>(filter.top))
        workload.statements.resize(static_cast<std::size_t>(filter.top));
}

} // namespace dbadvise::analyzer
