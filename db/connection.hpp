// A libpq connection set up for reading safely: the only place (with the rest of db/) that
// includes libpq-fe.h. Owns PGconn and PGresult through unique_ptr deleters.
//
// Every round trip to the server goes through Connection::query or Connection::execute, which
// wait for the reply with a client-side deadline: a server or backend that stops answering
// (stopped with SIGSTOP, a dead network path without a reset) cannot hang dbadvise. When the
// deadline passes, the statement is cancelled (PQcancel, itself bounded), the reply is awaited
// for a short grace period, and then the connection is given up: every later call fails at
// once with DbError::Kind::connection_lost, so the run ends with a partial report.
#pragma once

#include <cstdint>
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
/// own statements out of pg_stat_statements.
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
        connection_lost,    // the server went away mid-run, or stopped answering
    };
    DbError() = default;
    DbError(Kind kind_, std::string message_, std::string sqlstate_ = {}, std::string server_message_ = {})
        : kind(kind_), message(std::move(message_)), sqlstate(std::move(sqlstate_)),
          server_message(std::move(server_message_)) {}
    Kind kind = Kind::query;
    std::string message; // complete, with the fix where there is one; never a password
    std::string sqlstate;
    std::string server_message; // the server's primary message alone, when there is one
    /// The byte offset into the statement text the caller passed (dbadvise's marker not
    /// counted) that the server's error points at (PG_DIAG_STATEMENT_POSITION); -1 when none.
    int position = -1;
};

/// Session limits applied right after connecting.
struct SessionOptions {
    /// The server's statement_timeout for every statement of the session.
    int statement_timeout_ms = 30000;
    /// The server's lock_timeout: a second line of defence behind the pg_locks check that
    /// keeps catalog reads and planning away from locked tables.
    int lock_timeout_ms = 500;
    /// libpq's connect_timeout, in seconds (at least 2).
    int connect_timeout_s = 10;
    /// The longest wait for any one reply: statement_timeout plus a margin, so that the server
    /// normally cancels first and this deadline only fires when the server cannot.
    int reply_deadline_ms = 32000;
    /// After the deadline: how long PQcancel may take, then how long to wait for the reply.
    int cancel_grace_ms = 2000;
    /// Try to set pg_stat_statements.track = none for this session (superuser, or a role with
    /// SET on the parameter): dbadvise's own statements then leave no trace in it.
    bool untracked = true;
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
    /// psql), with TCP keepalives and tcp_user_timeout unless the DSN sets them; sets
    /// application_name=dbadvise, default_transaction_read_only=on and the session's timeouts,
    /// and pg_stat_statements.track=none where the role may. A malformed DSN fails before libpq
    /// sees it, with a message that quotes none of it. Every message names the target (never a
    /// password) and the fix.
    static std::expected<Connection, DbError> open(const std::string& dsn,
                                                   const SessionOptions& options = {});

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    /// Runs one statement (k_statement_marker is prepended) with text parameters, over the
    /// extended protocol: the server records it with $n, never the values. `what` names the
    /// step in error messages: "<what> failed: <server message>".
    std::expected<Result, DbError> query(std::string_view sql,
                                         const std::vector<Param>& params = {},
                                         std::string_view what = "a query");
    /// Runs statements (SET, BEGIN, ROLLBACK, DO, ...) over the simple protocol; several may be
    /// joined with k_next_statement. The last statement's result, or the first error.
    std::expected<Result, DbError> execute(std::string_view sql, std::string_view what = "a command");

    /// False once the server has gone away or stopped answering.
    bool alive() const;
    /// Why the connection is no longer alive, for a step that did not run because of it:
    /// "the connection to the server was lost", with the first reason when dbadvise gave it up
    /// (the call that gave up may have been a clean-up whose own error reaches no report).
    std::string lost_message() const;
    /// "database \"shop\" on /tmp/x:5432 as postgres", for messages.
    std::string describe() const;
    int server_version_num() const;
    /// True when pg_stat_statements.track is none for this session (set at open()).
    bool untracked() const { return m_untracked; }
    /// True when pg_stat_statements records this session's statements and the statements run
    /// inside them (pg_stat_statements.track = all, and the role may not change it).
    bool nested_tracking() const { return m_nested_tracking; }
    /// `value` as an SQL string literal, escaped by libpq for this connection.
    std::string quote_literal(std::string_view value) const;
    /// The reply deadline in effect, in milliseconds.
    int reply_deadline_ms() const { return m_options.reply_deadline_ms; }
    /// Removes every password dbadvise knows of (DSN, PGPASSWORD, service and password
    /// files) from `text`.
    std::string scrub(std::string text) const;

private:
    struct Deleter {
        void operator()(pg_conn* conn) const;
    };
    Connection(pg_conn* conn, std::vector<std::string> secrets, SessionOptions options);
    DbError error_from(std::string_view what, pg_result* result) const;
    DbError lost(std::string_view what, std::string reason);
    // Sends with `send`, then waits for every result with the reply deadline. The last
    // result, or the first error.
    template <typename Send>
    std::expected<Result, DbError> round_trip(Send&& send, std::string_view what);
    bool wait_socket(bool for_write, std::int64_t until_ms);
    bool cancel_within(int grace_ms);
    void set_untracked();

    std::unique_ptr<pg_conn, Deleter> m_conn;
    std::vector<std::string> m_secrets; // only to scrub them from server and libpq messages
    SessionOptions m_options;
    bool m_untracked = false;
    bool m_nested_tracking = false;
    bool m_gave_up = false;
    std::string m_gave_up_reason; // why, repeated by every later call's error
    std::string m_description; // describe(), kept for messages after giving up
};

/// Run first in each transaction that reads the catalog: dbadvise's own statements then resolve
/// functions and operators in pg_catalog alone, so that an overload someone planted in a schema
/// of the search path that matches their argument types better than the built-in (unnest(text[])
/// in public, an `oid = regclass` operator) is never called with dbadvise's privileges. The
/// planner's transactions keep the session's search_path, which the workload's statements need;
/// their own statements name pg_catalog explicitly.
inline constexpr std::string_view k_catalog_search_path = "SET LOCAL search_path = pg_catalog, pg_temp";

/// Joins statements for Connection::execute: pg_stat_statements records each statement of a
/// multi-statement string separately, and this repeats the marker before each.
inline constexpr std::string_view k_next_statement = "; /* dbadvise */ ";

/// A one-dimensional text[] literal of `values` ("{\"a\",NULL}") to pass as one parameter.
std::string array_literal(const std::vector<Param>& values);

} // namespace dbadvise::db
