// Thin RAII over the SQLite C API: a connection and a prepared statement, each owning its
// handle, plus Status-returning helpers. Not thread-safe: one connection per thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rl/core/status.h"

namespace rl::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;

StatusOr<DbHandle> OpenDb(const std::string& path, bool read_only);
Status Exec(sqlite3* db, std::string_view sql);

class Stmt {
 public:
  static StatusOr<Stmt> Prepare(sqlite3* db, std::string_view sql);
  Stmt(Stmt&&) noexcept;
  Stmt& operator=(Stmt&&) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Bind by 1-based index.
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, std::nullopt_t);
  Stmt& BindOptional(int i, const std::optional<double>& v);
  // Runs to completion (INSERT/UPDATE), then resets for reuse.
  Status Run();
  // Steps once: true if a row is available.
  StatusOr<bool> Step();
  void Reset();

  int64_t ColumnInt(int i) const;
  double ColumnDouble(int i) const;
  std::string ColumnText(int i) const;
  bool ColumnIsNull(int i) const;

 private:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace rl::store
