// A libpq connection set up for reading safely: the only place (with the rest of db/) that
// includes libpq-fe.h. Owns PGconn and PGresult through unique_ptr deleters.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace dbadvise::db {

/// Prefixes every statement dbadvise sends, so that the workload reader can leave dbadvise's
/// own statements out of pg_stat_statements (the planner prefixes its PREPAREs too).
inline constexpr std::string_view k_statement_marker = "/* dbadvise */ ";

struct DbError {
    enum class Kind {
        connect,            // connection refused, unknown host, bad DSN
        authentication,     // wrong or missing password
        missing_database,
        missing_extension,  // pg_stat_statements not created in the database
        not_preloaded,      // pg_stat_statements not in shared_preload_libraries
        permission,         // role lacks pg_read_all_stats or SELECT on a catalog view
        query,              // a statement failed; the connection is still usable
        connection_lost,    // the server went away mid-run
    };
    Kind kind = Kind::query;
    std::string message; // complete, with the fix where there is one; never a password
    std::string sqlstate;
};

/// Session limits applied right after connecting.
struct SessionOptions {
    int statement_timeout_ms = 30000;
    int lock_timeout_ms = 1000;
    int connect_timeout_s = 10;
};

/// The rows of one statement's result, values as text (NULL distinguished).
class Result {
public:
    Result() = default;
    explicit Result(pg_result* result);
    int rows() const;
    int columns() const;
    /// Column position by name; -1 when absent.
    int column(std::string_view name) const;
    bool is_null(int row, int column) const;
    /// The value as text; "" for NULL. Precondition: row and column in range.
    std::string_view text(int row, int column) const;
    std::string_view text(int row, std::string_view column) const;
    std::int64_t int64(int row, std::string_view column) const; // 0 for NULL or non-numbers
    double number(int row, std::string_view column) const;      // 0 for NULL or non-numbers
    bool boolean(int row, std::string_view column) const;       // "t" is true

private:
    struct Deleter {
        void operator()(pg_result* result) const;
    };
    std::unique_ptr<pg_result, Deleter> m_result;
};

using Param = std::optional<std::string>; // nullopt is SQL NULL

class Connection {
public:
    /// Connects with `dsn` (conninfo or URI; empty: libpq's PG* variables and ~/.pgpass, as in
    /// psql), sets application_name=dbadvise, default_transaction_read_only=on and the
    /// session's timeouts. Fails with a message naming the target (no password) and the fix.
    static std::expected<Connection, DbError> open(const std::string& dsn,
                                                   const SessionOptions& options = {});

    /// Runs one statement (k_statement_marker is prepended) with text parameters. `what`
    /// names the step in error messages: "<what> failed: <server message>".
    std::expected<Result, DbError> query(std::string_view sql,
                                         const std::vector<Param>& params = {},
                                         std::string_view what = "a query");
    /// Runs statements that return no rows (SET, BEGIN, ROLLBACK, ...).
    std::expected<void, DbError> execute(std::string_view sql, std::string_view what = "a command");

    /// False once the server has gone away.
    bool alive() const;
    /// "database \"shop\" on /tmp/x:5432 as postgres", for messages.
    std::string describe() const;
    int server_version_num() const;

    /// The raw handle for code in db/ that needs libpq directly (the live planner).
    pg_conn* handle() { return m_conn.get(); }

private:
    struct Deleter {
        void operator()(pg_conn* conn) const;
    };
    explicit Connection(pg_conn* conn, std::string password);
    DbError error_from(std::string_view what, pg_result* result) const;
    std::string scrub(std::string text) const;

    std::unique_ptr<pg_conn, Deleter> m_conn;
    std::string m_password; // only to scrub it from server and libpq messages
};

/// Removes `password` (when non-empty) and any DSN password from `text`.
std::string scrub_password(std::string text, std::string_view password);

} // namespace dbadvise::db
