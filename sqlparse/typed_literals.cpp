#include "sqlparse/typed_literals.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>

#include <memory>

namespace dbadvise::sqlparse {

namespace {

// libpg_query's grammar (unlike the server's) accepts a parameter where a typed literal's
// string constant stood, and records it as a TypeCast whose own location is -1 (an explicit
// `$1::date` records the position of `::`). Finding one such node is enough to know the text
// needs repair; the deparser then prints every cast in the `::` form the server accepts.
bool has_prefix_typed_parameter(const nlohmann::json& node) {
    if (node.is_object()) {
        if (const auto cast = node.find("TypeCast"); cast != node.end() && cast->is_object()) {
            const auto arg = cast->find("arg");
            const auto location = cast->find("location");
            if (arg != cast->end() && arg->is_object() && arg->contains("ParamRef") &&
                (location == cast->end() || (location->is_number() && location->get<int>() < 0))) {
                return true;
            }
        }
        for (const auto& [key, value] : node.items()) {
            if (has_prefix_typed_parameter(value)) {
                return true;
            }
        }
    } else if (node.is_array()) {
        for (const auto& value : node) {
            if (has_prefix_typed_parameter(value)) {
                return true;
            }
        }
    }
    return false;
}

ParseError error_from(const PgQueryError* error) {
    ParseError result;
    result.message = error->message ? error->message : "unknown parser error";
    result.offset = error->cursorpos > 0 ? error->cursorpos - 1 : -1;
    return result;
}

} // namespace

std::expected<std::optional<std::string>, ParseError> rewrite_typed_parameters(std::string_view sql) {
    const std::string text(sql);
    PgQueryParseResult parsed = pg_query_parse(text.c_str());
    const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> parsed_guard(
        &parsed, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
    if (parsed.error) {
        return std::unexpected(error_from(parsed.error));
    }
    const nlohmann::json tree = nlohmann::json::parse(parsed.parse_tree, nullptr, false);
    if (tree.is_discarded() || !has_prefix_typed_parameter(tree)) {
        return std::optional<std::string>{};
    }

    PgQueryProtobufParseResult proto = pg_query_parse_protobuf(text.c_str());
    const std::unique_ptr<PgQueryProtobufParseResult, void (*)(PgQueryProtobufParseResult*)>
        proto_guard(&proto, [](PgQueryProtobufParseResult* r) { pg_query_free_protobuf_parse_result(*r); });
    if (proto.error) {
        return std::unexpected(error_from(proto.error));
    }
    PgQueryDeparseResult deparsed = pg_query_deparse_protobuf(proto.parse_tree);
    const std::unique_ptr<PgQueryDeparseResult, void (*)(PgQueryDeparseResult*)> deparse_guard(
        &deparsed, [](PgQueryDeparseResult* r) { pg_query_free_deparse_result(*r); });
    if (deparsed.error) {
        return std::unexpected(error_from(deparsed.error));
    }
    return std::optional<std::string>{std::string(deparsed.query)};
}

} // namespace dbadvise::sqlparse
