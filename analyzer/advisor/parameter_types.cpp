// Parameter types for PREPARE. Normalized statements lose the constants the server typed its
// operators with: `sum(CASE WHEN x = $1 THEN $3 ELSE $4 END)` leaves $3 and $4 unknown,
// which resolve to text, and `sum(text)` does not exist; `$4 - $5` is `text - text`;
// `generate_series($1, $2)` is ambiguous. The server infers most parameters itself, so it is
// asked first; when it fails, the types come from where each parameter sits in the parse tree
// (the column it is compared with, the operator's other operand, the function's signature,
// the CASE's other branches, the column an enclosing expression is compared with), and when
// that fails too, from a bounded search over likely types for the parameters nearest the
// server's error. What made a statement prepare is remembered for the rest of the run.
#include "analyzer/advisor/advisor.hpp"
#include "util/ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

using sqlparse::ParameterPeer;
using sqlparse::ParameterSite;
using Kind = ParameterSite::Kind;

// The base of a type name: "numeric(12,2)" -> "numeric", "character varying(80)" ->
// "character varying", internal names mapped to the catalog's spelling.
std::string base_type(std::string type) {
    if (const auto paren = type.find('('); paren != std::string::npos) {
        const auto close = type.find(')', paren);
        type.erase(paren, close == std::string::npos ? std::string::npos : close - paren + 1);
    }
    while (!type.empty() && type.back() == ' ') {
        type.pop_back();
    }
    if (type == "int2") return "smallint";
    if (type == "int4" || type == "int") return "integer";
    if (type == "int8") return "bigint";
    if (type == "float4") return "real";
    if (type == "float8") return "double precision";
    if (type == "bool") return "boolean";
    if (type == "timestamptz") return "timestamp with time zone";
    if (type == "timestamp") return "timestamp without time zone";
    if (type == "varchar") return "character varying";
    if (type == "bpchar") return "character";
    if (type == "decimal") return "numeric";
    return type;
}

bool is_numeric(const std::string& base) {
    return base == "smallint" || base == "integer" || base == "bigint" || base == "numeric" || base == "real" ||
           base == "double precision" || base == "money";
}

bool is_integer(const std::string& base) {
    return base == "smallint" || base == "integer" || base == "bigint";
}

bool is_timestamp(const std::string& base) {
    return base.starts_with("timestamp");
}

// The type a peer expression has, from the catalog, its cast or its constant.
std::string peer_type(const StatementSetup& setup, const ParameterPeer& peer) {
    switch (peer.kind) {
    case ParameterPeer::Kind::column:
        if (!peer.wrapper.empty()) {
            return {}; // `lower(email)`: the function's result, not the column's type
        }
        return column_type(setup, peer.column);
    case ParameterPeer::Kind::typed:
        return peer.type_name;
    case ParameterPeer::Kind::constant:
        return peer.type_name == "integer" ? "integer"
               : peer.type_name == "float" ? "numeric"
               : peer.type_name == "boolean" ? "boolean"
                                             : "text";
    case ParameterPeer::Kind::expression:
        return peer.type_name;
    default:
        return {};
    }
}

// The second operand's type for `<type> op $n` in arithmetic.
std::string arithmetic_partner(const std::string& type, const std::string& op) {
    const std::string base = base_type(type);
    if (op == "%") {
        return is_integer(base) ? type : "integer";
    }
    if (base == "date") {
        return op == "+" || op == "-" ? "integer" : "";
    }
    if (is_timestamp(base) || base == "time without time zone" || base == "time with time zone") {
        return op == "+" || op == "-" ? "interval" : "";
    }
    if (base == "interval") {
        return op == "*" || op == "/" ? "double precision" : "interval";
    }
    if (is_numeric(base)) {
        return type;
    }
    if (op == "->" || op == "->>" || op == "#>" || op == "#>>" || op == "?" || op == "-" ) {
        return base == "jsonb" || base == "json" ? (op == "#>" || op == "#>>" ? "text[]" : "text") : "";
    }
    return {};
}

// Function signatures for the argument positions the server cannot type from unknown.
std::string signature_type(const ParameterSite& site, const StatementSetup& setup) {
    const std::string& f = site.function;
    const int a = site.argument;
    const std::string sibling = peer_type(setup, site.peer);
    if (f == "generate_series") {
        const std::string base = base_type(sibling);
        if (is_timestamp(base) || base == "date" || base == "interval") {
            return a == 2 ? "interval" : "timestamp with time zone";
        }
        return is_numeric(base) && base != "integer" && base != "smallint" ? sibling : "bigint";
    }
    if (f == "extract" || f == "date_part" || f == "date_trunc" || f == "to_char" || f == "to_date" ||
        f == "to_number") {
        return a == 0 && f != "to_char" && f != "to_date" && f != "to_number" ? "text" : a >= 1 ? "text" : "";
    }
    if (f == "to_timestamp") {
        return site.arguments == 1 ? "double precision" : "text";
    }
    if (f == "substring" || f == "substr") {
        return a == 0 ? "text" : "integer";
    }
    if (f == "overlay") {
        return a <= 1 ? "text" : "integer";
    }
    if (f == "left" || f == "right" || f == "repeat" || f == "split_part" || f == "lpad" || f == "rpad") {
        return a == 0 ? "text" : (f == "lpad" || f == "rpad") && a == 2 ? "text" : f == "split_part" && a == 1 ? "text" : "integer";
    }
    if (f == "round" || f == "trunc") {
        return a == 0 ? "numeric" : "integer";
    }
    if (f == "make_date" || f == "make_time" || f == "make_interval" || f == "make_timestamp" ||
        f == "make_timestamptz") {
        return "integer";
    }
    if (f == "abs" || f == "ceil" || f == "ceiling" || f == "floor" || f == "sqrt" || f == "exp" || f == "ln" ||
        f == "log" || f == "power" || f == "mod" || f == "sign" || f == "sum" || f == "avg" || f == "stddev" ||
        f == "stddev_pop" || f == "stddev_samp" || f == "variance" || f == "var_pop" || f == "var_samp") {
        return is_numeric(base_type(sibling)) ? sibling : "numeric";
    }
    if (f == "coalesce" || f == "nullif" || f == "greatest" || f == "least" || f == "min" || f == "max") {
        return sibling;
    }
    if (f == "lower" || f == "upper" || f == "btrim" || f == "ltrim" || f == "rtrim" || f == "trim" ||
        f == "position" || f == "strpos" || f == "replace" || f == "translate" || f == "concat" ||
        f == "concat_ws" || f == "length" || f == "char_length" || f == "md5" || f == "initcap" ||
        f == "reverse" || f == "starts_with" || f == "string_agg" || f == "regexp_replace" ||
        f == "regexp_match" || f == "format" || f == "quote_literal" || f == "like_escape") {
        return "text";
    }
    if (f == "age") {
        return "timestamp with time zone";
    }
    if (f == "date") {
        return "timestamp with time zone";
    }
    return {};
}

// The type an enclosing expression is expected to have, from the column (or cast) it is
// compared with, or the aggregate around it.
std::string context_type(const StatementSetup& setup, const ParameterSite& site) {
    const std::string type = peer_type(setup, site.context);
    if (!type.empty() && site.context.wrapper.empty()) {
        return type;
    }
    if (site.aggregate == "sum" || site.aggregate == "avg" || site.aggregate.starts_with("stddev") ||
        site.aggregate.starts_with("var")) {
        return "numeric";
    }
    if (!site.context.wrapper.empty()) {
        return "text"; // compared with lower(col) / upper(col) and the like
    }
    return {};
}

// The type the argument that an expression fills has, from the enclosing function's signature
// (`substr(o, $5 + $6)`: integer).
std::string argument_type(const StatementSetup& setup, const ParameterSite& site) {
    if (site.context_function.empty() || site.context_argument < 0) {
        return {};
    }
    ParameterSite call;
    call.kind = Kind::function_argument;
    call.function = site.context_function;
    call.argument = site.context_argument;
    call.arguments = site.context_argument + 1; // at least; only to_timestamp's typing asks
    return signature_type(call, setup);
}

// A parameter site's shape, the key of TypeMemory.
std::string shape(const ParameterSite& site) {
    switch (site.kind) {
    case Kind::function_argument:
        return fmt::format("function {} {}/{}", site.function, site.argument, site.arguments);
    case Kind::arithmetic:
        return fmt::format("arithmetic {} {}", site.op, site.left ? "left" : "right");
    case Kind::case_result:
        return fmt::format("case result in {}", site.aggregate.empty() ? site.context_function : site.aggregate);
    default:
        return {};
    }
}

struct Guess {
    std::string type;
    bool strong = false; // from the catalog or an explicit type, not a default
};

Guess guess(const StatementSetup& setup, const ParameterSite& site, const TypeMemory& memory) {
    if (!site.cast_type.empty()) {
        return {site.cast_type, true};
    }
    switch (site.kind) {
    case Kind::limit:
    case Kind::offset:
        return {"bigint", true};
    case Kind::comparison:
    case Kind::case_test: {
        if (site.op == "LIKE" || site.op == "~" || site.op == "~*" || site.op == "!~" || site.op == "!~*") {
            return {"text", true};
        }
        std::string type = peer_type(setup, site.peer);
        if (site.op.ends_with(" ANY") || site.op.ends_with(" ALL")) {
            // `col = ANY($1)`: an array of the column's type.
            if (!type.empty() && !type.ends_with("[]") && site.peer.kind == ParameterPeer::Kind::column) {
                type += "[]";
            }
        }
        if (!type.empty()) {
            return {type, site.peer.kind == ParameterPeer::Kind::column || site.peer.kind == ParameterPeer::Kind::typed};
        }
        if (const std::string context = context_type(setup, site); !context.empty()) {
            return {context, false};
        }
        return {};
    }
    case Kind::concatenation:
        return {"text", false};
    case Kind::arithmetic: {
        const std::string peer = peer_type(setup, site.peer);
        if (const auto it = memory.learned.find(shape(site)); it != memory.learned.end() && peer.empty()) {
            return {it->second, false};
        }
        if (!peer.empty() && site.peer.kind != ParameterPeer::Kind::constant) {
            if (std::string partner = arithmetic_partner(peer, site.op); !partner.empty()) {
                return {partner, site.peer.kind == ParameterPeer::Kind::column};
            }
        }
        // `$4 - $5` compared with a column, or passed as a function's argument: the
        // expression has the column's (or the argument's) type; a date column takes `$1 + $2`
        // as date + integer.
        std::string expected = context_type(setup, site);
        if (expected.empty()) {
            expected = argument_type(setup, site);
        }
        const std::string context = base_type(expected);
        if (!context.empty()) {
            if (is_numeric(context)) {
                return {expected, false};
            }
            if (context == "date") {
                return {site.left ? "date" : "integer", false};
            }
            if (is_timestamp(context)) {
                return {site.left ? expected : "interval", false};
            }
        }
        if (site.op == "%") {
            return {"integer", false};
        }
        if (!peer.empty() && site.peer.kind == ParameterPeer::Kind::constant) {
            return {peer == "integer" ? "integer" : "numeric", false};
        }
        return {"numeric", false};
    }
    case Kind::function_argument: {
        if (const auto it = memory.learned.find(shape(site)); it != memory.learned.end()) {
            return {it->second, false};
        }
        if (std::string type = signature_type(site, setup); !type.empty()) {
            return {type, false};
        }
        return {};
    }
    case Kind::case_result: {
        const std::string sibling = peer_type(setup, site.peer);
        if (!sibling.empty()) {
            return {sibling, site.peer.kind == ParameterPeer::Kind::column};
        }
        if (site.peer.kind != ParameterPeer::Kind::none) {
            return {}; // a sibling of a type only the server knows: it resolves the CASE from it
        }
        if (const auto it = memory.learned.find(shape(site)); it != memory.learned.end()) {
            return {it->second, false};
        }
        if (const std::string context = context_type(setup, site); !context.empty()) {
            return {context, false};
        }
        return {"text", false};
    }
    case Kind::cast:
        return {site.cast_type, true};
    case Kind::other:
        if (const std::string context = context_type(setup, site); !context.empty()) {
            return {context, false};
        }
        return {};
    }
    return {};
}

// Types worth trying for a parameter the guesses got wrong, most likely first.
constexpr std::array<std::string_view, 8> k_search_types = {
    "numeric", "integer", "text", "date", "timestamp with time zone", "interval", "boolean", "bigint"};

bool typing_error(const PlannerError& error) {
    // 42P18 indeterminate_datatype, 42725 ambiguous_function, 42883 undefined_function,
    // 42804 datatype_mismatch, 42846 cannot_coerce, 22P02 invalid_text_representation.
    static constexpr std::array<std::string_view, 6> k_states = {"42P18", "42725", "42883", "42804", "42846", "22P02"};
    if (!error.sqlstate.empty()) {
        return std::find(k_states.begin(), k_states.end(), error.sqlstate) != k_states.end();
    }
    const std::string& m = error.message;
    return m.find("could not determine data type of parameter") != std::string::npos ||
           m.find("could not determine polymorphic type") != std::string::npos ||
           m.find("is not unique") != std::string::npos || m.starts_with("function ") ||
           m.starts_with("operator does not exist") ||
           m.find("cannot be matched") != std::string::npos || m.find("must be type") != std::string::npos ||
           m.find("but expression is of type") != std::string::npos;
}

// `could not determine data type of parameter $7` -> 7.
int parameter_named(const std::string& message) {
    const auto at = message.find("parameter $");
    if (at == std::string::npos) {
        return 0;
    }
    int n = 0;
    for (std::size_t i = at + 11; i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
        n = n * 10 + (message[i] - '0');
    }
    return n;
}

// The families value_fits_type compares; empty for a type of none of them (enums, domains,
// uuid, json, ...). An array is its elements' family (`= ANY($1)`).
std::string type_family(const std::string& type) {
    std::string base = base_type(util::ascii_lower(type));
    while (base.ends_with("[]")) {
        base.resize(base.size() - 2);
    }
    if (is_numeric(base)) {
        return "number";
    }
    if (is_timestamp(base) || base == "date" || base.starts_with("time ")) {
        return "datetime";
    }
    if (base == "interval" || base == "boolean") {
        return base;
    }
    if (base == "text" || base == "character varying" || base == "character" || base == "name" ||
        base == "citext") {
        return "text";
    }
    return {};
}

} // namespace

bool value_fits_type(const std::string& column_type, const std::string& parameter_type) {
    const std::string parameter = type_family(parameter_type);
    const std::string column = type_family(column_type);
    // pg_stats shows every value as text, which a text parameter takes as it is.
    if (parameter.empty() || column.empty() || parameter == "text") {
        return true;
    }
    return parameter == column;
}

std::vector<std::string> inferred_types(const StatementSetup& setup, const TypeMemory& memory, std::vector<bool>* weak) {
    const int count = std::max(setup.parameter_count, static_cast<int>(setup.parameters.size()));
    std::vector<std::string> types(static_cast<std::size_t>(count));
    std::vector<bool> strong(static_cast<std::size_t>(count), false);
    for (const ParameterSite& site : setup.sites) {
        if (site.number < 1 || site.number > count) {
            continue;
        }
        const auto i = static_cast<std::size_t>(site.number - 1);
        if (strong[i]) {
            continue;
        }
        const Guess g = guess(setup, site, memory);
        if (g.type.empty()) {
            continue;
        }
        if (g.strong || types[i].empty()) {
            types[i] = g.type;
            strong[i] = g.strong;
        }
    }
    // A number that no longer occurs in the text (a constant put back by
    // sqlparse::rewrite_grouping_parameters) still needs a type for PREPARE; any will do.
    std::vector<bool> occurs(static_cast<std::size_t>(count), false);
    for (const ParameterSite& site : setup.sites) {
        if (site.number >= 1 && site.number <= count) {
            occurs[static_cast<std::size_t>(site.number - 1)] = true;
        }
    }
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (!occurs[i]) {
            types[i] = "text";
            strong[i] = true;
        }
    }
    if (weak) {
        weak->assign(static_cast<std::size_t>(count), false);
        for (std::size_t i = 0; i < types.size(); ++i) {
            (*weak)[i] = !strong[i];
        }
    }
    return types;
}

std::expected<std::vector<std::string>, TypingFailure> prepare_types(Planner& planner, StatementSetup& setup,
                                                                     TypeMemory& memory, int max_attempts) {
    TypingFailure failure;
    auto attempt = [&](const std::vector<std::string>& types) {
        ++failure.attempts;
        return planner.describe(setup.sql, types);
    };
    // 1. The server's own inference.
    auto described = attempt({});
    if (described) {
        setup.param_types.clear();
        return *described;
    }
    failure.error = described.error();
    if (failure.error.fatal || !typing_error(failure.error) || setup.parameter_count == 0) {
        return std::unexpected(failure);
    }
    failure.parameter_types = true;

    // 2. Types from where each parameter sits.
    std::vector<bool> weak;
    std::vector<std::string> types = inferred_types(setup, memory, &weak);
    described = attempt(types);
    if (described) {
        setup.param_types = types;
        return *described;
    }
    failure.error = described.error();
    if (failure.error.fatal || !typing_error(failure.error)) {
        return std::unexpected(failure);
    }

    // 3. A bounded search: the parameters the guesses were least sure of, nearest the
    // server's error first, each tried with the likely types; a change is kept when the error
    // moves on (another message or a later position), which means that part now types.
    std::vector<int> suspects;
    for (int n = 1; n <= static_cast<int>(types.size()); ++n) {
        if (weak[static_cast<std::size_t>(n - 1)] || types[static_cast<std::size_t>(n - 1)].empty()) {
            suspects.push_back(n);
        }
    }
    auto distance = [&](int n) {
        const int named = parameter_named(failure.error.message);
        if (named == n) {
            return -1;
        }
        int best = 1 << 30;
        for (const ParameterSite& site : setup.sites) {
            if (site.number == n && site.offset >= 0 && failure.error.position >= 0) {
                best = std::min(best, std::abs(site.offset - failure.error.position));
            }
        }
        return best;
    };
    std::stable_sort(suspects.begin(), suspects.end(), [&](int a, int b) { return distance(a) < distance(b); });
    std::vector<std::string> changed(types.size());
    for (const int n : suspects) {
        const auto i = static_cast<std::size_t>(n - 1);
        for (const std::string_view candidate : k_search_types) {
            if (failure.attempts >= max_attempts) {
                return std::unexpected(failure);
            }
            if (candidate == types[i]) {
                continue;
            }
            std::vector<std::string> trial = types;
            trial[i] = std::string(candidate);
            described = attempt(trial);
            if (described) {
                changed[i] = trial[i];
                setup.param_types = trial;
                for (std::size_t k = 0; k < changed.size(); ++k) {
                    if (changed[k].empty()) {
                        continue;
                    }
                    for (const ParameterSite& site : setup.sites) {
                        if (site.number == static_cast<int>(k + 1) && !shape(site).empty()) {
                            memory.learned[shape(site)] = changed[k];
                        }
                    }
                }
                return *described;
            }
            if (described.error().fatal) {
                failure.error = described.error();
                return std::unexpected(failure);
            }
            // Progress: the server got further into the statement before failing.
            const PlannerError& next = described.error();
            const bool moved = next.position >= 0 && failure.error.position >= 0
                                   ? next.position > failure.error.position
                                   : next.message != failure.error.message;
            if (moved && typing_error(next)) {
                types = trial;
                changed[i] = trial[i];
                failure.error = next;
                break;
            }
        }
    }
    return std::unexpected(failure);
}

} // namespace dbadvise::analyzer::advisor
