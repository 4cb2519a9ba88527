#include "db/connection.hpp"

#include "db/redact.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <future>
#include <poll.h>
#include <thread>

namespace dbadvise::db {

namespace {

// libpq's messages span lines ("...failed: FATAL:  password ...\n\tIs the server running");
// a one-line message reads better after "dbadvise: error:".
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The password libpq would use without one in the DSN: PGPASSWORD, or the service file's.
void default_passwords(std::vector<std::string>& secrets) {
    PQconninfoOption* defaults = PQconndefaults();
    if (defaults == nullptr) return;
    for (PQconninfoOption* option = defaults; option->keyword != nullptr; ++option) {
        if (std::string_view(option->keyword) == "password" && option->val != nullptr &&
            *option->val != '\0')
            secrets.emplace_back(option->val);
    }
    PQconninfoFree(defaults);
}

std::string describe_handle(PGconn* conn) {
    const char* db = PQdb(conn);
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    const char* user = PQuser(conn);
    return fmt::format("database \"{}\" on {}:{} as {}", db ? db : "", host ? host : "",
                       port ? port : "", user ? user : "");
}

} // namespace

std::string array_literal(const std::vector<Param>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        if (!values[i]) {
            out += "NULL";
            continue;
        }
        out += '"';
        for (const char c : *values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

// --- Result ----------------------------------------------------------------

void Result::Deleter::operator()(pg_result* result) const { PQclear(result); }

Result::Result(pg_result* result) : m_result(result) {}

int Result::rows() const { return m_result ? PQntuples(m_result.get()) : 0; }
int Result::columns() const { return m_result ? PQnfields(m_result.get()) : 0; }

int Result::column(std::string_view name) const {
    if (!m_result) return -1;
    for (int i = 0; i < columns(); ++i) {
        if (name == PQfname(m_result.get(), i)) return i;
    }
    return -1;
}

bool Result::is_null(int row, int column) const {
    return PQgetisnull(m_result.get(), row, column) != 0;
}

std::string_view Result::text(int row, int column) const {
    return {PQgetvalue(m_result.get(), row, column),
            static_cast<std::size_t>(PQgetlength(m_result.get(), row, column))};
}

std::string_view Result::text(int row, std::string_view name) const {
    const int at = column(name);
    return at < 0 ? std::string_view() : text(row, at);
}

std::int64_t Result::int64(int row, std::string_view name) const {
    const std::string_view value = text(row, name);
    std::int64_t out = 0;
    std::from_chars(value.data(), value.data() + value.size(), out);
    return out;
}

double Result::number(int row, std::string_view name) const {
    const std::string value(text(row, name));
    if (value.empty()) return 0;
    char* end = nullptr;
    const double out = std::strtod(value.c_str(), &end);
    return end == value.c_str() ? 0 : out;
}

bool Result::boolean(int row, std::string_view name) const { return text(row, name) == "t"; }

// --- Connection -------------------------------------------------------------

void Connection::Deleter::operator()(pg_conn* conn) const { PQfinish(conn); }

Connection::Connection(pg_conn* conn, std::vector<std::string> secrets, SessionOptions options)
    : m_conn(conn), m_secrets(std::move(secrets)), m_options(options) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

std::string Connection::scrub(std::string text) const { return redact(std::move(text), m_secrets); }

std::string Connection::describe() const { return m_description; }

std::expected<Connection, DbError> Connection::open(const std::string& dsn,
                                                    const SessionOptions& options) {
    auto secrets = dsn_secrets(dsn);
    if (!secrets) {
        return std::unexpected(DbError{DbError::Kind::connect, "cannot connect: " + secrets.error(), {}, {}});
    }
    default_passwords(*secrets);

    // Keepalives and tcp_user_timeout come before the DSN, so that the DSN's own values win;
    // they only apply to TCP connections (a Unix socket fails fast on its own). They notice a
    // dead network path; the reply deadline (round_trip) covers a server that is alive but
    // does not answer. dbname last but one, expanded as a conninfo or URI; application_name
    // after it, so that it is always ours. An empty dbname lets PG* variables apply.
    const std::string connect_timeout = std::to_string(std::max(2, options.connect_timeout_s));
    const std::string user_timeout = std::to_string(options.reply_deadline_ms);
    const char* keywords[] = {"connect_timeout", "keepalives", "keepalives_idle",
                              "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                              "dbname", "application_name", nullptr};
    const char* values[] = {connect_timeout.c_str(), "1", "10", "5", "3", user_timeout.c_str(),
                            dsn.c_str(), "dbadvise", nullptr};
    Connection connection(PQconnectdbParams(keywords, values, 1), std::move(*secrets), options);
    PGconn* conn = connection.m_conn.get();
    if (conn == nullptr) {
        return std::unexpected(DbError{DbError::Kind::connect,
                                       "cannot connect: libpq could not allocate a connection", {}, {}});
    }
    // The password libpq used, wherever it came from (DSN, PGPASSWORD, service file, ~/.pgpass).
    if (const char* password = PQpass(conn); password != nullptr && *password != '\0')
        connection.m_secrets.emplace_back(password);
    connection.m_description = connection.scrub(describe_handle(conn));
    // libpq fills in host, port and database only once it got as far as resolving them (an
    // unknown service stops it before): name the target as the DSN gives it then.
    const auto unset = [](const char* value) { return value == nullptr || *value == '\0'; };
    if (unset(PQdb(conn)) && unset(PQhost(conn)))
        connection.m_description = connection.scrub(dsn_target(dsn));
    if (PQstatus(conn) != CONNECTION_OK) {
        const std::string reason = connection.scrub(one_line(PQerrorMessage(conn)));
        DbError error{DbError::Kind::connect, {}, {}, {}};
        std::string fix;
        if (contains(reason, "password authentication failed") ||
            contains(reason, "no password supplied") || contains(reason, "authentication failed")) {
            error.kind = DbError::Kind::authentication;
            fix = "check the password (in --dsn, PGPASSWORD or ~/.pgpass) and the role name";
        } else if (contains(reason, "database \"") && contains(reason, "does not exist")) {
            error.kind = DbError::Kind::missing_database;
            fix = "check dbname in --dsn or PGDATABASE; `psql -l` lists the databases";
        } else if (contains(reason, "configuration parameter") ||
                   contains(reason, "invalid value for parameter") ||
                   contains(reason, "command-line argument")) {
            fix = "check the server settings passed in options= (in --dsn) or PGOPTIONS";
        } else if (contains(reason, "definition of service") || contains(reason, "service file")) {
            fix = "check the service name and the service file libpq reads (PGSERVICEFILE, else "
                  "~/.pg_service.conf, then pg_service.conf in PGSYSCONFDIR or the system's "
                  "configuration directory)";
        } else if (contains(reason, "timeout expired")) {
            fix = "the server did not complete the connection within connect_timeout; check that "
                  "it runs and is not overloaded or stopped";
        } else {
            fix = "check that the server runs and accepts connections at that host and port "
                  "(--dsn host=... port=..., or PGHOST/PGPORT)";
        }
        error.message = fmt::format("cannot connect to {}: {}; {}", connection.describe(), reason, fix);
        return std::unexpected(std::move(error));
    }
    // Server notices (HypoPG's, a SET's) would go to stderr through libpq's default
    // processor, between dbadvise's own progress lines; they carry nothing the report needs.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    // Non-blocking: round_trip() waits on the socket itself, with a deadline.
    if (PQsetnonblocking(conn, 1) != 0) {
        return std::unexpected(DbError{DbError::Kind::connect,
                                       "cannot connect: libpq could not switch to non-blocking mode", {}, {}});
    }
    if (options.untracked) connection.set_untracked();
    // One SET per statement: pg_stat_statements records each statement of a multi-statement
    // string separately, and only the first would carry k_statement_marker.
    for (const std::string& setting :
         {std::string("default_transaction_read_only = on"),
          fmt::format("statement_timeout = {}", options.statement_timeout_ms),
          fmt::format("lock_timeout = {}", options.lock_timeout_ms)}) {
        if (auto done = connection.execute("SET " + setting, "setting up the read-only session");
            !done)
            return std::unexpected(done.error());
    }
    return connection;
}

// pg_stat_statements.track is a superuser setting; PostgreSQL 15 lets a superuser GRANT SET
// on it. The values travel as parameters and the statement holds no constant, so
// pg_stat_statements makes no early entry for it at parse time, and it checks `track` again
// when the statement ends (pgss_ExecutorEnd): once the setting is none, this statement is not
// recorded either. For a role without the right the statement sets nothing, is recorded once,
// normalized, like the rest of dbadvise's statements, and tells the setting in effect (with
// track = all, the statements that others run inside are recorded too). (With
// pg_stat_statements.track_planning = on, its planning is recorded before the setting takes
// effect.) Superusers are told apart without a query: the server reports is_superuser when
// the session starts.
void Connection::set_untracked() {
    const char* super = PQparameterStatus(m_conn.get(), "is_superuser");
    const bool superuser = super != nullptr && std::string_view(super) == "on";
    std::expected<Result, DbError> done;
    if (superuser) {
        done = query("SELECT pg_catalog.set_config($1, $2, $3)",
                     {"pg_stat_statements.track", "none", "false"}, "turning off statement tracking");
        m_untracked = done && done->rows() == 1;
        return;
    }
    if (PQserverVersion(m_conn.get()) >= 150000) {
        done = query("SELECT pg_catalog.current_setting($1, true) AS track, CASE WHEN "
                     "pg_catalog.has_parameter_privilege($1, $4) THEN pg_catalog.set_config($1, $2, $3) END AS set",
                     {"pg_stat_statements.track", "none", "false", "SET"}, "turning off statement tracking");
    } else {
        done = query("SELECT pg_catalog.current_setting($1, true) AS track, NULL AS set",
                     {"pg_stat_statements.track"}, "reading pg_stat_statements.track");
    }
    if (done && done->rows() == 1) {
        m_untracked = !done->is_null(0, 1);
        m_nested_tracking = !m_untracked && done->text(0, "track") == "all";
    }
}

std::string Connection::quote_literal(std::string_view value) const {
    if (m_conn) {
        if (char* escaped = PQescapeLiteral(m_conn.get(), value.data(), value.size())) {
            std::string out(escaped);
            PQfreemem(escaped);
            return out;
        }
    }
    // Without a connection (or on an encoding error): the standard_conforming_strings form.
    std::string out = "'";
    for (const char c : value) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out + "'";
}

bool Connection::alive() const {
    return !m_gave_up && m_conn && PQstatus(m_conn.get()) == CONNECTION_OK;
}

std::string Connection::lost_message() const {
    if (m_gave_up_reason.empty()) return "the connection to the server was lost";
    return fmt::format("the connection to the server was lost: {}", m_gave_up_reason);
}

int Connection::server_version_num() const { return m_conn ? PQserverVersion(m_conn.get()) : 0; }

DbError Connection::error_from(std::string_view what, pg_result* result) const {
    DbError error;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    error.sqlstate = state ? state : "";
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string reason = primary ? primary : (m_conn ? one_line(PQerrorMessage(m_conn.get())) : "");
    reason = scrub(one_line(reason));
    error.server_message = reason;
    // Characters from 1 into the text sent; query() and execute() make it a byte offset.
    const char* position = result ? PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION) : nullptr;
    error.position = position ? std::atoi(position) : -1;
    if (!alive()) {
        error.kind = DbError::Kind::connection_lost;
        error.message = fmt::format("lost the connection to {} while {}: {}", describe(), what,
                                    reason.empty() ? "the server closed the connection" : reason);
    } else {
        error.kind = error.sqlstate == "42501" ? DbError::Kind::permission : DbError::Kind::query;
        error.message = fmt::format("{} failed: {}", what, reason);
        // 55P03: lock_timeout expired. Index definitions and the planner need ACCESS SHARE
        // locks, which wait behind a migration's ACCESS EXCLUSIVE lock.
        if (error.sqlstate == "55P03")
            error.message += " (another session holds an exclusive lock on a table, such as a "
                             "running migration; run dbadvise again when it has finished)";
    }
    return error;
}

DbError Connection::lost(std::string_view what, std::string reason) {
    // The first reason stays: a later call (which may be the only one whose error reaches the
    // report, when the one that gave up was a clean-up whose error is ignored) repeats it.
    if (!m_gave_up) m_gave_up_reason = reason;
    m_gave_up = true;
    m_conn.reset();
    DbError error;
    error.kind = DbError::Kind::connection_lost;
    error.server_message = reason;
    error.message = fmt::format("lost the connection to {} while {}: {}", describe(), what, reason);
    return error;
}

bool Connection::wait_socket(bool for_write, std::int64_t until_ms) {
    PGconn* conn = m_conn.get();
    const int socket = PQsocket(conn);
    if (socket < 0) return true; // libpq reports the broken connection on the next call
    for (;;) {
        const std::int64_t left = until_ms - now_ms();
        if (left <= 0) return false;
        pollfd fd{socket, static_cast<short>(POLLIN | (for_write ? POLLOUT : 0)), 0};
        const int ready = ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left, 1000)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return true;
        if (ready == 0) continue;
        // While flushing, libpq wants input consumed when it arrives (the server may be
        // waiting for us to read before it reads more).
        if (for_write && (fd.revents & POLLIN) != 0) PQconsumeInput(conn);
        return true;
    }
}

// PQcancel opens a new connection to the postmaster and blocks until it answers, which a
// stopped server never does: it runs on a thread of its own, and after `grace_ms` the thread
// is left behind (it owns its PGcancel; the process ends soon after).
bool Connection::cancel_within(int grace_ms) {
    PGcancel* cancel = PQgetCancel(m_conn.get());
    if (cancel == nullptr) return false;
    auto done = std::make_shared<std::promise<bool>>();
    std::future<bool> sent = done->get_future();
    std::thread([cancel, done] {
        char buffer[256];
        const bool ok = PQcancel(cancel, buffer, sizeof buffer) == 1;
        PQfreeCancel(cancel);
        done->set_value(ok);
    }).detach();
    return sent.wait_for(std::chrono::milliseconds(grace_ms)) == std::future_status::ready &&
           sent.get();
}

template <typename Send>
std::expected<Result, DbError> Connection::round_trip(Send&& send, std::string_view what) {
    if (!alive()) {
        if (m_gave_up || !m_conn)
            return std::unexpected(lost(
                what, m_gave_up_reason.empty()
                          ? std::string("the connection was given up earlier")
                          : fmt::format("the connection was given up earlier: {}", m_gave_up_reason)));
        return std::unexpected(error_from(what, nullptr));
    }
    PGconn* conn = m_conn.get();
    if (send(conn) == 0) return std::unexpected(error_from(what, nullptr));

    const int deadline_ms = m_options.reply_deadline_ms;
    std::int64_t until = now_ms() + deadline_ms;
    bool cancelled = false;
    // The deadline passed: cancel, then allow the grace period for the reply.
    const auto expire = [&]() -> bool {
        if (cancelled) return false;
        cancelled = true;
        cancel_within(m_options.cancel_grace_ms);
        until = now_ms() + m_options.cancel_grace_ms;
        return true;
    };
    const auto gave_up = [&] {
        return std::unexpected(lost(
            what, fmt::format("no reply within {:.1f} s (--timeout); the statement was cancelled and "
                              "the connection given up: the server or its backend process may be "
                              "stopped or overloaded",
                              deadline_ms / 1000.0)));
    };

    for (;;) {
        const int flushed = PQflush(conn);
        if (flushed == 0) break;
        if (flushed < 0) return std::unexpected(error_from(what, nullptr));
        if (!wait_socket(true, until) && !expire()) return gave_up();
    }
    std::optional<Result> last;
    std::optional<DbError> first_error;
    for (;;) {
        while (PQisBusy(conn) != 0) {
            if (!wait_socket(false, until)) {
                if (!expire()) return gave_up();
                continue;
            }
            if (PQconsumeInput(conn) == 0) return std::unexpected(error_from(what, nullptr));
        }
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        const ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
            last.emplace(result);
        } else {
            if (!first_error) first_error = error_from(what, result);
            PQclear(result);
        }
    }
    // A reply that only came after the cancel is still a sign that the server did not keep
    // its statement_timeout: give the connection up all the same.
    if (cancelled) return gave_up();
    if (first_error) return std::unexpected(std::move(*first_error));
    if (!last) return std::unexpected(error_from(what, nullptr));
    return std::move(*last);
}

namespace {

// Turns the server's error position (characters from 1 into `sent`) into a byte offset into
// the caller's statement, which starts `prefix` bytes into `sent`; -1 when it points before.
void locate(std::expected<Result, DbError>& outcome, std::string_view sent, std::size_t prefix) {
    if (outcome || outcome.error().position < 1) {
        if (!outcome) outcome.error().position = -1;
        return;
    }
    std::size_t byte = 0;
    for (int characters = outcome.error().position; byte < sent.size() && characters > 1; --characters) {
        const auto lead = static_cast<unsigned char>(sent[byte]);
        byte += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    }
    outcome.error().position = byte >= prefix && byte <= sent.size() ? static_cast<int>(byte - prefix) : -1;
}

} // namespace

std::expected<Result, DbError> Connection::query(std::string_view sql,
                                                 const std::vector<Param>& params,
                                                 std::string_view what) {
    const std::string text = std::string(k_statement_marker) + std::string(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& param : params) values.push_back(param ? param->c_str() : nullptr);
    auto outcome = round_trip(
        [&](PGconn* conn) {
            return PQsendQueryParams(conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                                     values.empty() ? nullptr : values.data(), nullptr, nullptr, 0);
        },
        what);
    locate(outcome, text, k_statement_marker.size());
    return outcome;
}

std::expected<Result, DbError> Connection::execute(std::string_view sql, std::string_view what) {
    const std::string text = std::string(k_statement_marker) + std::string(sql);
    auto outcome = round_trip([&](PGconn* conn) { return PQsendQuery(conn, text.c_str()); }, what);
    locate(outcome, text, k_statement_marker.size());
    return outcome;
}

} // namespace dbadvise::db
