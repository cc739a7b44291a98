#include "postgres/detail/connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <vector>

namespace chatkit::store::pg_detail {

namespace {

// SQLSTATE → errc. Bad text (invalid UTF-8, NUL, JSON the server cannot hold) is the caller's input.
errc classify(std::string_view state) {
  if (state == "23505") return errc::constraint_violation;  // unique_violation
  if (state == "23503") return errc::missing_reference;     // foreign_key_violation
  if (state == "22021" || state == "22P05" || state == "22P02") return errc::invalid_record;  // encoding/JSON
  if (state == "54000" || state == "54001") return errc::record_too_large;                 // program limits
  if (state == "40001" || state == "40P01" || state == "55P03") return errc::unavailable;  // retryable
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57")) return errc::unavailable;
  return errc::database_error;
}

}  // namespace

void throw_pg(pg_conn* conn, pg_result* r, std::string_view doing) {
  std::string message = "postgres: ";
  message.append(doing);
  message += ": ";
  const char* detail = r ? PQresultErrorMessage(r) : nullptr;
  if (!detail || !*detail) detail = conn ? PQerrorMessage(conn) : "no connection";
  std::string_view text(detail);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  message.append(text);
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (state && std::string_view(state) == "22P05")
    message +=
        " (PostgreSQL's JSONB, which the store keeps beside each record, cannot hold the NUL character "
        "\\u0000)";
  // No SQLSTATE: the connection itself failed.
  if (!state || (conn && PQstatus(conn) != CONNECTION_OK))
    throw sql_error(errc::unavailable, std::move(message), state ? state : "08000");
  throw sql_error(classify(state), std::move(message), state);
}

result::~result() {
  if (r_) PQclear(r_);
}

int result::rows() const noexcept {
  return PQntuples(r_);
}

std::string_view result::text(int row, int column) const noexcept {
  return {PQgetvalue(r_, row, column), static_cast<std::size_t>(PQgetlength(r_, row, column))};
}

std::int64_t result::integer(int row, int column) const {
  const auto t = text(row, column);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size())
    throw store_error(errc::database_error,
                      "postgres: expected an integer column, got '" + std::string(t) + "'");
  return v;
}

pg_conn* connect_raw(const std::string& conninfo) {
  // expand_dbname: `dbname` carries the whole conninfo (keywords or URI); the later keywords override it.
  const char* keys[] = {"dbname", "client_encoding", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "UTF8", "chatkit", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn) throw store_error(errc::unavailable, "postgres: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = std::string("postgres: cannot connect: ") + PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    throw store_error(errc::unavailable, message);
  }
  // Server notices ("schema already exists, skipping") are not for the host's stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

connection::connection(const std::string& conninfo, const std::string& schema)
    : conninfo_(conninfo), schema_(schema), conn_(connect_raw(conninfo)) {
  try {
    setup();
  } catch (...) {
    PQfinish(conn_);
    throw;
  }
}

connection::~connection() {
  PQfinish(conn_);
}

std::string connection::quote_identifier(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (!quoted) throw_pg(conn_, nullptr, "quoting an identifier");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

void connection::setup() {
  prepared_.clear();
  // The schema may not exist yet (the store creates it right after); search_path tolerates that.
  exec("SET search_path TO " + quote_identifier(schema_));
}

void connection::ensure_open() {
  if (PQstatus(conn_) == CONNECTION_OK) return;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) throw_pg(conn_, nullptr, "reconnecting");
  setup();
}

void connection::reconnect() noexcept {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return;
  try {
    setup();
  } catch (...) {
  }
}

namespace {
// Throws unless the statement succeeded.
result checked(pg_conn* conn, pg_result* raw, std::string_view doing) {
  result r(raw);
  const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw_pg(conn, raw, doing);
  return r;
}
}  // namespace

result connection::exec(const std::string& sql) {
  return checked(conn_, PQexec(conn_, sql.c_str()), sql);
}

namespace {
// Parameters in binary: text is its exact bytes, bigint is 8 big-endian bytes. Nothing is ever spliced into
// SQL.
struct binary_params {
  const char* values[64];
  int lengths[64];
  int formats[64];
  unsigned char integers[64][8];
  int n = 0;

  explicit binary_params(std::initializer_list<param> params) {
    if (params.size() > 64) throw store_error(errc::database_error, "postgres: too many parameters");
    for (const auto& p : params) {
      if (const auto* t = std::get_if<std::string_view>(&p)) {
        if (t->size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
          throw store_error(errc::record_too_large, "postgres: a value is larger than 2 GiB");
        values[n] = t->data() ? t->data() : "";
        lengths[n] = static_cast<int>(t->size());
      } else {
        auto v = static_cast<std::uint64_t>(std::get<std::int64_t>(p));
        for (int b = 7; b >= 0; --b) {
          integers[n][b] = static_cast<unsigned char>(v & 0xFF);
          v >>= 8;
        }
        values[n] = reinterpret_cast<const char*>(integers[n]);
        lengths[n] = 8;
      }
      formats[n] = 1;
      ++n;
    }
  }
};
}  // namespace

namespace {
void put32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}
void put64(std::string& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
constexpr std::size_t array_header = 20;  // ndim, has-nulls flag, element type, then size and lower bound
}  // namespace

binary_array::binary_array(element type, std::size_t expected) {
  bytes_.reserve(array_header + expected * (type == element::bigint ? 12 : 64));
  put32(bytes_, 1);                                // one dimension
  put32(bytes_, 0);                                // no NULLs
  put32(bytes_, type == element::text ? 25 : 20);  // the element type's oid: text, int8
  put32(bytes_, 0);                                // the size, set by bytes()
  put32(bytes_, 1);                                // lower bound
}

void binary_array::push(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw store_error(errc::record_too_large, "postgres: a value is larger than 2 GiB");
  put32(bytes_, static_cast<std::uint32_t>(text.size()));
  bytes_.append(text);
  ++count_;
}

void binary_array::push(std::int64_t value) {
  put32(bytes_, 8);
  put64(bytes_, static_cast<std::uint64_t>(value));
  ++count_;
}

std::string_view binary_array::bytes() {
  for (int i = 0; i < 4; ++i) bytes_[12 + i] = static_cast<char>(count_ >> (24 - 8 * i));
  return bytes_;
}

const std::string& connection::prepare(std::string_view sql, int params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "chatkit_" + std::to_string(prepared_.size());
    const std::string text(sql);
    checked(conn_, PQprepare(conn_, name.c_str(), text.c_str(), params, nullptr), "preparing a statement");
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return it->second;
}

result connection::run(std::string_view sql, std::initializer_list<param> params) {
  binary_params p(params);
  const auto& name = prepare(sql, p.n);
  return checked(conn_, PQexecPrepared(conn_, name.c_str(), p.n, p.values, p.lengths, p.formats, 0),
                 "running a statement");
}

void connection::enter_pipeline() {
  if (PQenterPipelineMode(conn_) != 1) throw_pg(conn_, nullptr, "entering pipeline mode");
}

void connection::exit_pipeline() {
  if (PQexitPipelineMode(conn_) != 1) throw_pg(conn_, nullptr, "leaving pipeline mode");
}

void connection::send(std::string_view sql, std::initializer_list<param> params) {
  binary_params p(params);
  auto it = prepared_.find(sql);
  if (it == prepared_.end())
    throw store_error(errc::database_error, "postgres: a pipelined statement was not prepared");
  if (PQsendQueryPrepared(conn_, it->second.c_str(), p.n, p.values, p.lengths, p.formats, 0) != 1)
    throw_pg(conn_, nullptr, "sending a statement");
}

void connection::send(const char* sql) {
  if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1)
    throw_pg(conn_, nullptr, "sending a statement");
}

void connection::sync() {
  if (PQpipelineSync(conn_) != 1) throw_pg(conn_, nullptr, "sending a pipeline sync");
}

result connection::next_result() {
  return result(PQgetResult(conn_));
}

void connection::begin() {
  exec("BEGIN");
}

void connection::commit() {
  exec("COMMIT");
}

void connection::rollback() noexcept {
  if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace chatkit::store::pg_detail
