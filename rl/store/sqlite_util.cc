#include "rl/store/sqlite_util.h"

namespace rl::store {

StatusOr<DbHandle> OpenDb(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    if (rc == SQLITE_CANTOPEN) return absl::NotFoundError(path + ": cannot open database: " + msg);
    return absl::UnavailableError(path + ": cannot open database: " + msg);
  }
  // Readers and the writer wait for each other briefly rather than failing.
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

Status Exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return absl::DataLossError(msg);
    return absl::InternalError("sqlite: " + msg + " in: " + std::string(sql.substr(0, 80)));
  }
  return absl::OkStatus();
}

StatusOr<Stmt> Stmt::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
      return absl::DataLossError(std::string("sqlite: ") + sqlite3_errmsg(db));
    }
    return absl::InternalError(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in: " +
                               std::string(sql.substr(0, 80)));
  }
  return Stmt(db, s);
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}
Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, std::nullopt_t) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
Stmt& Stmt::BindOptional(int i, const std::optional<double>& v) {
  return v ? Bind(i, *v) : Bind(i, std::nullopt);
}

Status Stmt::Run() {
  int rc = sqlite3_step(stmt_);
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return absl::InternalError(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  return absl::OkStatus();
}

StatusOr<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return absl::InternalError(std::string("sqlite step: ") + sqlite3_errmsg(db_));
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
double Stmt::ColumnDouble(int i) const { return sqlite3_column_double(stmt_, i); }
std::string Stmt::ColumnText(int i) const {
  const unsigned char* t = sqlite3_column_text(stmt_, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
           : std::string();
}
bool Stmt::ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

}  // namespace rl::store
