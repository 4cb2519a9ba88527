#include "db/connection.hpp"

#include "db/redact.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

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

// The password the DSN carries, so that it can be scrubbed from any message.
std::string dsn_password(const std::string& dsn) {
    if (dsn.empty()) return {};
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
    if (error != nullptr) PQfreemem(error);
    if (options == nullptr) return {};
    std::string password;
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (std::string_view(option->keyword) == "password" && option->val != nullptr)
            password = option->val;
    }
    PQconninfoFree(options);
    return password;
}

} // namespace

std::string scrub_password(std::string text, std::string_view password) {
    text = redact_dsn(text);
    if (password.empty()) return text;
    for (std::size_t at = text.find(password); at != std::string::npos;
         at = text.find(password, at + 3))
        text.replace(at, password.size(), "***");
    return text;
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

Connection::Connection(pg_conn* conn, std::string password)
    : m_conn(conn), m_password(std::move(password)) {}

std::string Connection::scrub(std::string text) const {
    return scrub_password(std::move(text), m_password);
}

std::string Connection::describe() const {
    PGconn* conn = m_conn.get();
    const char* db = PQdb(conn);
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    const char* user = PQuser(conn);
    return scrub(fmt::format("database \"{}\" on {}:{} as {}", db ? db : "", host ? host : "",
                             port ? port : "", user ? user : ""));
}

std::expected<Connection, DbError> Connection::open(const std::string& dsn,
                                                    const SessionOptions& options) {
    // dbname first, expanded as a conninfo or URI; the parameters after it win, so the
    // application name is always ours. An empty dbname lets PG* variables apply.
    const std::string timeout = std::to_string(options.connect_timeout_s);
    const char* keywords[] = {"dbname", "application_name", "connect_timeout", nullptr};
    const char* values[] = {dsn.c_str(), "dbadvise", timeout.c_str(), nullptr};
    Connection connection(PQconnectdbParams(keywords, values, 1), dsn_password(dsn));
    if (!connection.m_conn) {
        return std::unexpected(DbError{DbError::Kind::connect,
                                       "cannot connect: libpq could not allocate a connection", {}});
    }
    if (PQstatus(connection.m_conn.get()) != CONNECTION_OK) {
        const std::string reason = connection.scrub(one_line(PQerrorMessage(connection.m_conn.get())));
        DbError error{DbError::Kind::connect, {}, {}};
        std::string fix;
        if (contains(reason, "password authentication failed") ||
            contains(reason, "no password supplied") || contains(reason, "authentication failed")) {
            error.kind = DbError::Kind::authentication;
            fix = "check the password (in --dsn, PGPASSWORD or ~/.pgpass) and the role name";
        } else if (contains(reason, "database \"") && contains(reason, "does not exist")) {
            error.kind = DbError::Kind::missing_database;
            fix = "check dbname in --dsn or PGDATABASE; `psql -l` lists the databases";
        } else if (contains(reason, "invalid connection option") ||
                   contains(reason, "missing \"=\"") || contains(reason, "invalid URI")) {
            fix = "check the --dsn syntax: key=value pairs or a postgresql:// URI";
        } else {
            fix = "check that the server runs and accepts connections at that host and port "
                  "(--dsn host=... port=..., or PGHOST/PGPORT)";
        }
        error.message = fmt::format("cannot connect to {}: {}; {}", connection.describe(),
                                    reason, fix);
        return std::unexpected(std::move(error));
    }
    // Server notices (HypoPG's, a SET's) would go to stderr through libpq's default
    // processor, between dbadvise's own progress lines; they carry nothing the report needs.
    PQsetNoticeProcessor(connection.m_conn.get(), [](void*, const char*) {}, nullptr);
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

bool Connection::alive() const { return m_conn && PQstatus(m_conn.get()) == CONNECTION_OK; }

int Connection::server_version_num() const { return PQserverVersion(m_conn.get()); }

DbError Connection::error_from(std::string_view what, pg_result* result) const {
    DbError error;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    error.sqlstate = state ? state : "";
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string reason = primary ? primary : one_line(PQerrorMessage(m_conn.get()));
    reason = scrub(one_line(reason));
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

std::expected<Result, DbError> Connection::query(std::string_view sql,
                                                 const std::vector<Param>& params,
                                                 std::string_view what) {
    const std::string text = std::string(k_statement_marker) + std::string(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Param& param : params) values.push_back(param ? param->c_str() : nullptr);
    PGresult* result = PQexecParams(m_conn.get(), text.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.empty() ? nullptr : values.data(), nullptr,
                                    nullptr, 0);
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return Result(result);
    DbError error = error_from(what, result);
    PQclear(result);
    return std::unexpected(std::move(error));
}

std::expected<void, DbError> Connection::execute(std::string_view sql, std::string_view what) {
    const std::string text = std::string(k_statement_marker) + std::string(sql);
    PGresult* result = PQexec(m_conn.get(), text.c_str());
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        PQclear(result);
        return {};
    }
    DbError error = error_from(what, result);
    PQclear(result);
    return std::unexpected(std::move(error));
}

} // namespace dbadvise::db
