// track-io-timing-off: the server does not time its block reads.
//
// Rationale: without I/O timing, pg_stat_statements (blk_read_time / shared_blk_read_time)
// and EXPLAIN (ANALYZE, BUFFERS) report how many blocks were read but not how long the reads
// took, so a read served by the OS page cache cannot be told from one that went to disk.
// PostgreSQL behaviour: track_io_timing is off by default; a superuser can turn it on without
// a restart (ALTER SYSTEM and pg_reload_conf()). Its cost is two clock reads per block read,
// negligible where the clock source is fast; pg_test_timing measures it.
// Known false positives: a platform with a slow clock source where the overhead matters.
#include "analyzer/health/checks.hpp"

namespace dbadvise::analyzer::health {

void check_track_io_timing(const Context& context, std::vector<Finding>& out) {
    const Setting* setting = find_setting(context.workload, "track_io_timing");
    if (setting == nullptr) {
        return;
    }
    const std::string& value = setting->setting.empty() ? setting->value : setting->setting;
    if (value != "off") {
        return;
    }
    Finding finding(RuleId::track_io_timing_off);
    finding.subject = "track_io_timing";
    finding.object = ObjectRef{"setting", {}, "track_io_timing", {}, {}};
    finding.title = "track_io_timing is off: read times are not measured";
    finding.message =
        "Block reads are counted but not timed, so pg_stat_statements and EXPLAIN (ANALYZE, "
        "BUFFERS) cannot tell reads served by the operating system's page cache from reads "
        "that waited for the disk. Turning it on needs no restart; its overhead is small when "
        "the clock is fast (check with pg_test_timing).";
    finding.suggestion.sql = "ALTER SYSTEM SET track_io_timing = on;\nSELECT pg_reload_conf();";
    finding.evidence.emplace_back("track_io_timing", value);
    finding.rank = 0;
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::health
