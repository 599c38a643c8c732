#include "rl/store/run_store.h"

#include <chrono>

#include "rl/core/logging.h"
#include "rl/core/strings.h"
#include "rl/store/schema.h"

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

namespace rl::store {

double WallTime() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

StatusOr<std::unique_ptr<RunStore>> RunStore::Open(const std::string& path) {
  std::unique_ptr<RunStore> s(new RunStore());
  s->path_ = path;
  RL_ASSIGN_OR_RETURN(s->write_db_, OpenDb(path, /*read_only=*/false));
  RL_RETURN_IF_ERROR(Exec(s->write_db_.get(), "PRAGMA journal_mode=WAL;"));
  // NORMAL is durable against process crashes in WAL mode (only an OS crash can lose the
  // last transactions), and much faster than FULL.
  RL_RETURN_IF_ERROR(Exec(s->write_db_.get(), "PRAGMA synchronous=NORMAL;"));
  RL_RETURN_IF_ERROR(Exec(s->write_db_.get(), "PRAGMA foreign_keys=ON;"));
  RL_RETURN_IF_ERROR(s->Migrate());
  RL_ASSIGN_OR_RETURN(s->read_db_, OpenDb(path, /*read_only=*/true));
  s->writer_ = std::thread([p = s.get()] { p->WriterLoop(); });
  return s;
}

StatusOr<std::unique_ptr<RunStore>> RunStore::OpenReadOnly(const std::string& path) {
  std::unique_ptr<RunStore> s(new RunStore());
  s->path_ = path;
  RL_ASSIGN_OR_RETURN(s->read_db_, OpenDb(path, /*read_only=*/true));
  RL_ASSIGN_OR_RETURN(Stmt v, Stmt::Prepare(s->read_db_.get(), "PRAGMA user_version;"));
  RL_ASSIGN_OR_RETURN(bool row, v.Step());
  s->schema_version_ = row ? static_cast<int>(v.ColumnInt(0)) : 0;
  if (s->schema_version_ == 0) {
    return absl::FailedPreconditionError(path + ": not a run store (schema version 0)");
  }
  if (s->schema_version_ > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(
        path + ": schema version " + std::to_string(s->schema_version_) +
        " is newer than this build's " + std::to_string(LatestSchemaVersion()));
  }
  return s;
}

Status RunStore::Migrate() {
  sqlite3* db = write_db_.get();
  RL_ASSIGN_OR_RETURN(Stmt v, Stmt::Prepare(db, "PRAGMA user_version;"));
  RL_ASSIGN_OR_RETURN(bool row, v.Step());
  int version = row ? static_cast<int>(v.ColumnInt(0)) : 0;
  v.Reset();
  const auto& migrations = Migrations();
  if (version > static_cast<int>(migrations.size())) {
    return absl::FailedPreconditionError(
        path_ + ": schema version " + std::to_string(version) + " is newer than this build's " +
        std::to_string(migrations.size()) + "; upgrade the framework to open it");
  }
  for (int i = version; i < static_cast<int>(migrations.size()); ++i) {
    RL_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE;"));
    Status st = Exec(db, migrations[i]);
    if (st.ok()) st = Exec(db, "PRAGMA user_version=" + std::to_string(i + 1) + ";");
    if (!st.ok()) {
      Exec(db, "ROLLBACK;").IgnoreError();
      return absl::Status(st.code(), path_ + ": migration to schema " + std::to_string(i + 1) +
                                         " failed: " + std::string(st.message()));
    }
    RL_RETURN_IF_ERROR(Exec(db, "COMMIT;"));
  }
  schema_version_ = static_cast<int>(migrations.size());
  return absl::OkStatus();
}

RunStore::~RunStore() {
  if (writer_.joinable()) {
    Flush().IgnoreError();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    writer_.join();
  }
}

void RunStore::Enqueue(Write w) {
  RL_CHECK(writer_.joinable()) << "write to a read-only run store " << path_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(w));
    ++enqueued_;
  }
  cv_.notify_one();
}

void RunStore::WriterLoop() {
  constexpr size_t kMaxBatch = 20000;
  sqlite3* db = write_db_.get();
  while (true) {
    std::vector<Write> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Status st = Exec(db, "BEGIN IMMEDIATE;");
    for (auto& w : batch) {
      if (!st.ok()) break;
      st = w(db);
    }
    if (st.ok()) {
      st = Exec(db, "COMMIT;");
    } else {
      Exec(db, "ROLLBACK;").IgnoreError();
    }
    if (!st.ok()) RL_LOG(Error) << path_ << ": run store write failed: " << st;
    {
      std::lock_guard<std::mutex> lock(mu_);
      committed_ += batch.size();
      if (!st.ok() && first_error_.ok()) first_error_ = st;
    }
    done_cv_.notify_all();
  }
}

Status RunStore::Flush() {
  if (!writer_.joinable()) return absl::OkStatus();
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = enqueued_;
  done_cv_.wait(lock, [&] { return committed_ >= target; });
  Status st = first_error_;
  first_error_ = absl::OkStatus();
  return st;
}

StatusOr<int64_t> RunStore::CreateRun(const std::string& name, const std::string& config_yaml,
                                      const std::string& run_dir) {
  auto id = std::make_shared<int64_t>(0);
  Enqueue([=](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(db,
                                              "INSERT INTO runs(name, config_yaml, status, "
                                              "started_at, framework_version, run_dir) "
                                              "VALUES(?,?,'running',?,?,?)"));
    s.Bind(1, name).Bind(2, config_yaml).Bind(3, WallTime()).Bind(4, RL_VERSION).Bind(5, run_dir);
    RL_RETURN_IF_ERROR(s.Run());
    *id = sqlite3_last_insert_rowid(db);
    return absl::OkStatus();
  });
  RL_RETURN_IF_ERROR(Flush());
  return *id;
}

void RunStore::SetRunStatus(int64_t run_id, const std::string& status, bool ended) {
  Enqueue([=](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(
        Stmt s, Stmt::Prepare(db, ended ? "UPDATE runs SET status=?, ended_at=? WHERE id=?"
                                        : "UPDATE runs SET status=?, ended_at=NULL WHERE id=?"));
    s.Bind(1, status);
    if (ended) {
      s.Bind(2, WallTime()).Bind(3, run_id);
    } else {
      s.Bind(2, run_id);
    }
    return s.Run();
  });
}

void RunStore::LogMetric(int64_t run_id, int64_t step, const std::string& name, double value) {
  LogMetrics(run_id, step, {{name, value}});
}

void RunStore::LogMetrics(int64_t run_id, int64_t step,
                          const std::map<std::string, double>& values) {
  double now = WallTime();
  Enqueue([=](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(db,
                                              "INSERT INTO metrics(run_id, step, name, value, "
                                              "wall_time) VALUES(?,?,?,?,?)"));
    for (const auto& [name, value] : values) {
      s.Bind(1, run_id).Bind(2, step).Bind(3, name).Bind(4, value).Bind(5, now);
      RL_RETURN_IF_ERROR(s.Run());
    }
    return absl::OkStatus();
  });
}

void RunStore::AddSample(SampleRow r) {
  r.wall_time = r.wall_time > 0 ? r.wall_time : WallTime();
  Enqueue([r = std::move(r)](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(
        Stmt s, Stmt::Prepare(db,
                              "INSERT INTO samples(run_id, step, group_idx, prompt_id, prompt, "
                              "response, token_count, reward, correct, verifier_details, "
                              "finish_reason, policy_version, wall_time) "
                              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    s.Bind(1, r.run_id).Bind(2, r.step).Bind(3, r.group_idx).Bind(4, r.prompt_id);
    s.Bind(5, r.prompt).Bind(6, r.response).Bind(7, r.token_count).Bind(8, r.reward);
    if (r.correct) {
      s.Bind(9, static_cast<int64_t>(*r.correct ? 1 : 0));
    } else {
      s.Bind(9, std::nullopt);
    }
    s.Bind(10, r.verifier_details).Bind(11, r.finish_reason).Bind(12, r.policy_version);
    s.Bind(13, r.wall_time);
    return s.Run();
  });
}

void RunStore::AddCurriculumEvent(CurriculumEventRow r) {
  r.wall_time = r.wall_time > 0 ? r.wall_time : WallTime();
  Enqueue([r = std::move(r)](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(
        Stmt s, Stmt::Prepare(db,
                              "INSERT INTO curriculum_events(run_id, step, curriculum, old_value, "
                              "new_value, reason, evidence, wall_time) VALUES(?,?,?,?,?,?,?,?)"));
    s.Bind(1, r.run_id).Bind(2, r.step).Bind(3, r.curriculum).Bind(4, r.old_value);
    s.Bind(5, r.new_value).Bind(6, r.reason).Bind(7, r.evidence).Bind(8, r.wall_time);
    return s.Run();
  });
}

void RunStore::AddAlert(AlertRow r) {
  r.wall_time = r.wall_time > 0 ? r.wall_time : WallTime();
  Enqueue([r = std::move(r)](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(Stmt s,
                        Stmt::Prepare(db,
                                      "INSERT INTO alerts(run_id, step, kind, severity, "
                                      "message, evidence, wall_time) VALUES(?,?,?,?,?,?,?)"));
    s.Bind(1, r.run_id).Bind(2, r.step).Bind(3, r.kind).Bind(4, r.severity);
    s.Bind(5, r.message).Bind(6, r.evidence).Bind(7, r.wall_time);
    return s.Run();
  });
}

void RunStore::AddCheckpoint(CheckpointRow r) {
  r.wall_time = r.wall_time > 0 ? r.wall_time : WallTime();
  Enqueue([r = std::move(r)](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(db,
                                              "INSERT INTO checkpoints(run_id, step, path, "
                                              "metadata, wall_time) VALUES(?,?,?,?,?)"));
    s.Bind(1, r.run_id).Bind(2, r.step).Bind(3, r.path).Bind(4, r.metadata).Bind(5, r.wall_time);
    return s.Run();
  });
}

void RunStore::UpsertPromptStats(std::vector<PromptStatsRow> rows) {
  Enqueue([rows = std::move(rows)](sqlite3* db) -> Status {
    RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(db,
                                              "INSERT OR REPLACE INTO prompt_stats(run_id, "
                                              "prompt_id, attempts, passes, recent, last_step) "
                                              "VALUES(?,?,?,?,?,?)"));
    for (const auto& r : rows) {
      s.Bind(1, r.run_id).Bind(2, r.prompt_id).Bind(3, r.attempts).Bind(4, r.passes);
      s.Bind(5, r.recent).Bind(6, r.last_step);
      RL_RETURN_IF_ERROR(s.Run());
    }
    return absl::OkStatus();
  });
}

StatusOr<std::vector<PromptStatsRow>> RunStore::PromptStats(int64_t run_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT prompt_id, attempts, passes, recent, "
                                            "last_step FROM prompt_stats WHERE run_id=? "
                                            "ORDER BY prompt_id"));
  s.Bind(1, run_id);
  std::vector<PromptStatsRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(
        {run_id, s.ColumnText(0), s.ColumnInt(1), s.ColumnInt(2), s.ColumnText(3), s.ColumnInt(4)});
  }
  return out;
}

StatusOr<std::vector<RunRow>> RunStore::ListRuns() {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT id, name, config_yaml, status, started_at, "
                                            "ended_at, framework_version, run_dir FROM runs "
                                            "ORDER BY id"));
  std::vector<RunRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    RunRow r;
    r.id = s.ColumnInt(0);
    r.name = s.ColumnText(1);
    r.config_yaml = s.ColumnText(2);
    r.status = s.ColumnText(3);
    r.started_at = s.ColumnDouble(4);
    if (!s.ColumnIsNull(5)) r.ended_at = s.ColumnDouble(5);
    r.framework_version = s.ColumnText(6);
    r.run_dir = s.ColumnText(7);
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::vector<MetricRow>> RunStore::Metrics(int64_t run_id, const std::string& name_glob) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT step, name, value, wall_time FROM metrics "
                                            "WHERE run_id=? AND name GLOB ? ORDER BY name, step, "
                                            "rowid"));
  s.Bind(1, run_id).Bind(2, name_glob);
  std::vector<MetricRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({run_id, s.ColumnInt(0), s.ColumnText(1), s.ColumnDouble(2), s.ColumnDouble(3)});
  }
  return out;
}

StatusOr<std::vector<std::string>> RunStore::MetricNames(int64_t run_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT DISTINCT name FROM metrics WHERE run_id=? "
                                            "ORDER BY name"));
  s.Bind(1, run_id);
  std::vector<std::string> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.ColumnText(0));
  }
  return out;
}

StatusOr<std::vector<SampleRow>> RunStore::Samples(int64_t run_id, std::optional<int64_t> step,
                                                   int64_t limit) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(
      Stmt s, Stmt::Prepare(read_db_.get(),
                            "SELECT id, step, group_idx, prompt_id, prompt, response, token_count, "
                            "reward, correct, verifier_details, finish_reason, policy_version, "
                            "wall_time FROM samples WHERE run_id=? AND (? IS NULL OR step=?) "
                            "ORDER BY id LIMIT ?"));
  s.Bind(1, run_id);
  if (step) {
    s.Bind(2, *step).Bind(3, *step);
  } else {
    s.Bind(2, std::nullopt).Bind(3, std::nullopt);
  }
  s.Bind(4, limit <= 0 ? int64_t{-1} : limit);
  std::vector<SampleRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    SampleRow r;
    r.id = s.ColumnInt(0);
    r.run_id = run_id;
    r.step = s.ColumnInt(1);
    r.group_idx = s.ColumnInt(2);
    r.prompt_id = s.ColumnText(3);
    r.prompt = s.ColumnText(4);
    r.response = s.ColumnText(5);
    r.token_count = s.ColumnInt(6);
    r.reward = s.ColumnDouble(7);
    if (!s.ColumnIsNull(8)) r.correct = s.ColumnInt(8) != 0;
    r.verifier_details = s.ColumnText(9);
    r.finish_reason = s.ColumnText(10);
    r.policy_version = s.ColumnInt(11);
    r.wall_time = s.ColumnDouble(12);
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::vector<CurriculumEventRow>> RunStore::CurriculumEvents(int64_t run_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT id, step, curriculum, old_value, new_value, "
                                            "reason, evidence, wall_time FROM curriculum_events "
                                            "WHERE run_id=? ORDER BY id"));
  s.Bind(1, run_id);
  std::vector<CurriculumEventRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.ColumnInt(0), run_id, s.ColumnInt(1), s.ColumnText(2), s.ColumnText(3),
                   s.ColumnText(4), s.ColumnText(5), s.ColumnText(6), s.ColumnDouble(7)});
  }
  return out;
}

StatusOr<std::vector<AlertRow>> RunStore::Alerts(int64_t run_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT id, step, kind, severity, message, evidence, "
                                            "wall_time FROM alerts WHERE run_id=? ORDER BY id"));
  s.Bind(1, run_id);
  std::vector<AlertRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.ColumnInt(0), run_id, s.ColumnInt(1), s.ColumnText(2), s.ColumnText(3),
                   s.ColumnText(4), s.ColumnText(5), s.ColumnDouble(6)});
  }
  return out;
}

StatusOr<std::vector<CheckpointRow>> RunStore::Checkpoints(int64_t run_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(read_db_.get(),
                                            "SELECT id, step, path, metadata, wall_time FROM "
                                            "checkpoints WHERE run_id=? ORDER BY id"));
  s.Bind(1, run_id);
  std::vector<CheckpointRow> out;
  while (true) {
    RL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.ColumnInt(0), run_id, s.ColumnInt(1), s.ColumnText(2), s.ColumnText(3),
                   s.ColumnDouble(4)});
  }
  return out;
}

StatusOr<int64_t> RunStore::CountRows(const std::string& table, int64_t run_id) {
  static const char* kTables[] = {"metrics", "samples",     "curriculum_events",
                                  "alerts",  "checkpoints", "prompt_stats"};
  bool known = false;
  for (const char* t : kTables) known = known || table == t;
  if (!known) return absl::InvalidArgumentError("unknown table '" + table + "'");
  std::lock_guard<std::mutex> lock(read_mu_);
  RL_ASSIGN_OR_RETURN(
      Stmt s, Stmt::Prepare(read_db_.get(), "SELECT COUNT(*) FROM " + table + " WHERE run_id=?"));
  s.Bind(1, run_id);
  RL_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt(0) : 0;
}

}  // namespace rl::store
