// Where each $n parameter of a normalized statement sits in its parse tree: the operator or
// function it feeds, what stands on the other side, and what the enclosing expression is
// compared with. The index advisor derives PREPARE types from this when the server cannot
// infer them (`sum(CASE ... THEN $3 ELSE $4 END)`, `$4 - $5`, `generate_series($1, $2)`).
#pragma once

#include "sqlparse/query_model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

/// An expression next to a parameter: the other operand of its operator, a sibling argument,
/// another branch of its CASE, or the column an enclosing comparison compares it with.
struct ParameterPeer {
    enum class Kind { none, column, constant, parameter, typed, expression };
    Kind kind = Kind::none;
    ColumnRef column;      // kind column (relation is not resolved: -1)
    /// kind column: the function wrapped around the column, when the peer is a call of one
    /// column (`lower(email)`: "lower"); empty for a plain column.
    std::string wrapper;
    /// kind constant: "integer", "float", "string", "boolean"; kind typed: the cast's type as
    /// written ("date", "interval", "numeric(10,2)").
    std::string type_name;
    int parameter = 0;     // kind parameter, or kind typed when it casts a parameter ($2::date)
};

/// One occurrence of $n.
struct ParameterSite {
    enum class Kind {
        comparison,        // =, <>, <, <=, >, >=, IN list, = ANY, BETWEEN, LIKE, IS DISTINCT FROM
        arithmetic,        // + - * / % ^ and other operators that are not comparisons
        concatenation,     // ||
        function_argument, // f(..., $n, ...), including SQL-syntax calls (substring, position)
        case_result,       // THEN $n / ELSE $n
        case_test,         // CASE x WHEN $n: compared with x
        limit,
        offset,
        cast,              // $n::type (the server knows its type)
        other,             // select list, VALUES, SET, ...
    };
    int number = 0;
    Kind kind = Kind::other;
    std::string op;          // comparison/arithmetic operator as written ("=", "BETWEEN", "IN", "LIKE", "%")
    /// The parameter is the left operand of its operator (`$1 < col`, `$4 - $5`: $4).
    bool left = false;
    /// For comparisons, direct or inherited: the parameter (or the expression holding it) is
    /// an upper bound of the column it is compared with (`col < $1`, `$1 > col`, the second
    /// value of BETWEEN).
    bool upper_bound = false;
    std::string function;    // function_argument: lower-case name without schema ("substring")
    int argument = -1;       // function_argument: position, 0-based
    int arguments = 0;       // function_argument: number of arguments
    std::string cast_type;   // `$n::type` (any kind): the type name; the server knows its type
    ParameterPeer peer;      // the other operand, or for function arguments and CASE results the
                             // first sibling that is not a parameter
    /// Inherited from the enclosing expressions: the column (or typed value) an enclosing
    /// comparison compares the expression holding $n with (`col < $1 + $2`: col).
    ParameterPeer context;
    std::string context_op;       // the enclosing comparison's operator when context is set
    std::string context_function; // innermost enclosing function call around the expression
    int context_argument = -1;    // the argument of context_function the expression fills
    std::string aggregate;        // innermost enclosing aggregate (sum, avg, ...) when any
    int offset = -1;              // byte offset of `$n` in the text
};

/// Every parameter occurrence of `sql`, in tree order; empty when `sql` does not parse.
std::vector<ParameterSite> parameter_sites(std::string_view sql);

} // namespace dbadvise::sqlparse
