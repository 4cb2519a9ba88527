#include "reports/format.hpp"

#include <algorithm>
#include <array>

namespace dbadvise::reports {

namespace {

void text_report(const Report& report, const RenderOptions& options, const Sink& sink) {
    sink(render_text(report, TextOptions{options.color, options.width, options.verbose}));
}

void json_report(const Report& report, const RenderOptions&, const Sink& sink) {
    render_json(report, sink);
}

void sql_report(const Report& report, const RenderOptions&, const Sink& sink) {
    render_sql(report, sink);
}

void markdown_report(const Report& report, const RenderOptions& options, const Sink& sink) {
    sink(render_markdown(report, MarkdownOptions{options.markdown_limit}));
}

void html_report(const Report& report, const RenderOptions&, const Sink& sink) {
    sink(render_html(report));
}

void sarif_report(const Report& report, const RenderOptions&, const Sink& sink) {
    render_sarif(report, sink);
}

void text_rules(std::span<const analyzer::RuleInfo> rules, const RenderOptions&,
                const Sink& sink) {
    sink(render_rules_text(rules));
}

void json_rules(std::span<const analyzer::RuleInfo> rules, const RenderOptions&,
                const Sink& sink) {
    render_rules_json(rules, sink);
}

constexpr std::array k_formats = std::to_array<FormatInfo>({
    {Format::text, "text", "for people", true, text_report, text_rules},
    {Format::json, "json", "for programs, schema_version 1", false, json_report, json_rules},
    {Format::sql, "sql", "the suggested changes as a psql script", false, sql_report, nullptr},
    {Format::markdown, "markdown", "for a pull request or CI job summary", false, markdown_report,
     nullptr},
    {Format::html, "html", "one self-contained page with charts", false, html_report, nullptr},
    {Format::sarif, "sarif", "SARIF 2.1.0 for code scanning", false, sarif_report, nullptr},
});

} // namespace

std::span<const FormatInfo> formats() {
    return k_formats;
}

const FormatInfo& format_info(Format format) {
    return *std::find_if(k_formats.begin(), k_formats.end(),
                         [format](const FormatInfo& row) { return row.format == format; });
}

const FormatInfo* find_format(std::string_view name) {
    const auto found = std::find_if(k_formats.begin(), k_formats.end(),
                                    [name](const FormatInfo& row) { return row.name == name; });
    return found == k_formats.end() ? nullptr : &*found;
}

} // namespace dbadvise::reports
