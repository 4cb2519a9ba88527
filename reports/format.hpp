// The output formats: one row each, naming the format as --format spells it and the renderers
// that write a findings report and the rule catalogue in it. The CLI builds --format's choices,
// its help and the colour decision from this table, so a new format (sql, markdown, html,
// sarif) is one row here and its renderer file.
#pragma once

#include "analyzer/rule_registry.hpp"
#include "reports/report.hpp"

#include <functional>
#include <span>
#include <string_view>

namespace dbadvise::reports {

enum class Format { text, json, sql, markdown, html, sarif };

/// Receives the rendered output in pieces, in order.
using Sink = std::function<void(std::string_view)>;

struct RenderOptions {
    bool color = false;   // ANSI colour; only for formats whose row allows it
    int width = 100;      // text: the terminal's width, or 80-120 columns when not a terminal
    bool verbose = false; // text: every finding of a collapsed group, and baseline findings
    std::size_t markdown_limit = 65536; // markdown: at most this many bytes; 0: no limit
};

struct FormatInfo {
    Format format;
    std::string_view name;        // as --format spells it: "json"
    std::string_view description; // for --help and the man page: "for programs, schema_version 1"
    bool color;                   // the format may use ANSI colour on a terminal
    /// Writes a findings report (lint, explain, analyze); null when the format has none.
    void (*render_report)(const Report& report, const RenderOptions& options, const Sink& sink);
    /// Writes the rule catalogue (`dbadvise rules`); null when the format has none.
    void (*render_rules)(std::span<const analyzer::RuleInfo> rules, const RenderOptions& options,
                         const Sink& sink);
};

/// Every format, in the order --help lists them (the default, text, first).
std::span<const FormatInfo> formats();

/// The row of `format`.
const FormatInfo& format_info(Format format);

/// The row named `name`; nullptr when no format has that name.
const FormatInfo* find_format(std::string_view name);

} // namespace dbadvise::reports
