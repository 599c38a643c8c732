// The run store: one SQLite file per run directory (run.sqlite), WAL mode, schema migrations
// owned here. Everything a user can observe about a run is in it.
//
// Writes are asynchronous: Log*/Add* enqueue a row and return at once; one writer thread
// commits whatever is queued in one transaction per batch. Flush() blocks until every row
// enqueued before it is committed and returns the first write error since the previous Flush.
// A row is durable once a Flush that follows it has returned (or its batch committed on its
// own): a crash loses at most the uncommitted tail, never part of a batch.
// Reads use their own connection and never block the writer (WAL); other processes may read
// the file with sqlite3 at any time. All methods are thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rl/core/status.h"
#include "rl/store/sqlite_util.h"

namespace rl::store {

struct RunRow {
  int64_t id = 0;
  std::string name, config_yaml, status;
  double started_at = 0;
  std::optional<double> ended_at;
  std::string framework_version, run_dir;
};

struct MetricRow {
  int64_t run_id = 0, step = 0;
  std::string name;
  double value = 0, wall_time = 0;
};

struct SampleRow {
  int64_t id = 0, run_id = 0, step = 0, group_idx = 0;
  std::string prompt_id, prompt, response;
  int64_t token_count = 0;
  double reward = 0;
  std::optional<bool> correct;
  std::string verifier_details = "{}";
  std::string finish_reason;
  int64_t policy_version = 0;
  double wall_time = 0;
};

struct CurriculumEventRow {
  int64_t id = 0, run_id = 0, step = 0;
  std::string curriculum, old_value, new_value, reason, evidence = "{}";
  double wall_time = 0;
};

struct AlertRow {
  int64_t id = 0, run_id = 0, step = 0;
  std::string kind, severity = "warning", message, evidence = "{}";
  double wall_time = 0;
};

struct CheckpointRow {
  int64_t id = 0, run_id = 0, step = 0;
  std::string path, metadata = "{}";
  double wall_time = 0;
};

// Pass-rate history of one prompt (difficulty filtering). recent: the outcomes of the last
// attempts, oldest first, as '1' (pass) and '0' (fail).
struct PromptStatsRow {
  int64_t run_id = 0;
  std::string prompt_id;
  int64_t attempts = 0, passes = 0;
  std::string recent;
  int64_t last_step = 0;
};

// Seconds since the epoch, as stored in every wall_time column.
double WallTime();

class RunStore {
 public:
  // Opens (creating if needed) and migrates the database, then starts the writer thread.
  // A database of a newer schema than this build is refused (FailedPrecondition).
  static StatusOr<std::unique_ptr<RunStore>> Open(const std::string& path);
  // Read-only access for `rl runs/metrics/samples`: no writer thread, no migration.
  static StatusOr<std::unique_ptr<RunStore>> OpenReadOnly(const std::string& path);
  ~RunStore();  // flushes, then stops the writer
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

  // Synchronous: inserts a run row (status "running") and returns its id.
  StatusOr<int64_t> CreateRun(const std::string& name, const std::string& config_yaml,
                              const std::string& run_dir);
  // Enqueued writes.
  void SetRunStatus(int64_t run_id, const std::string& status, bool ended);
  void LogMetric(int64_t run_id, int64_t step, const std::string& name, double value);
  void LogMetrics(int64_t run_id, int64_t step, const std::map<std::string, double>& values);
  void AddSample(SampleRow row);
  void AddCurriculumEvent(CurriculumEventRow row);
  void AddAlert(AlertRow row);
  void AddCheckpoint(CheckpointRow row);
  // Inserts or replaces the rows (one transaction).
  void UpsertPromptStats(std::vector<PromptStatsRow> rows);
  Status Flush();

  // Reads (committed data only).
  StatusOr<std::vector<RunRow>> ListRuns();
  StatusOr<std::vector<MetricRow>> Metrics(int64_t run_id, const std::string& name_glob = "*");
  StatusOr<std::vector<std::string>> MetricNames(int64_t run_id);
  StatusOr<std::vector<SampleRow>> Samples(int64_t run_id, std::optional<int64_t> step,
                                           int64_t limit);
  StatusOr<std::vector<CurriculumEventRow>> CurriculumEvents(int64_t run_id);
  StatusOr<std::vector<AlertRow>> Alerts(int64_t run_id);
  StatusOr<std::vector<CheckpointRow>> Checkpoints(int64_t run_id);
  StatusOr<std::vector<PromptStatsRow>> PromptStats(int64_t run_id);
  StatusOr<int64_t> CountRows(const std::string& table, int64_t run_id);

 private:
  using Write = std::function<Status(sqlite3*)>;
  RunStore() = default;
  Status Migrate();
  void Enqueue(Write w);
  void WriterLoop();

  std::string path_;
  int schema_version_ = 0;
  DbHandle write_db_;
  DbHandle read_db_;
  std::mutex read_mu_;

  std::mutex mu_;
  std::condition_variable cv_;       // work available / stopping
  std::condition_variable done_cv_;  // a batch committed
  std::deque<Write> queue_;
  uint64_t enqueued_ = 0, committed_ = 0;
  Status first_error_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace rl::store
