#include "rl/store/schema.h"

namespace rl::store {

const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> kMigrations = {
      // v1: the tables of a run.
      R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  config_yaml TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  ended_at REAL,
  framework_version TEXT NOT NULL,
  run_dir TEXT NOT NULL DEFAULT ''
);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX metrics_by_name ON metrics(run_id, name, step);
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step INTEGER NOT NULL,
  group_idx INTEGER NOT NULL,
  prompt_id TEXT NOT NULL,
  prompt TEXT NOT NULL DEFAULT '',
  response TEXT NOT NULL,
  token_count INTEGER NOT NULL,
  reward REAL NOT NULL,
  correct INTEGER,
  verifier_details TEXT NOT NULL DEFAULT '{}',
  finish_reason TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX samples_by_step ON samples(run_id, step);
CREATE TABLE curriculum_events (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step INTEGER NOT NULL,
  curriculum TEXT NOT NULL,
  old_value TEXT NOT NULL,
  new_value TEXT NOT NULL,
  reason TEXT NOT NULL,
  evidence TEXT NOT NULL DEFAULT '{}',
  wall_time REAL NOT NULL
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step INTEGER NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  evidence TEXT NOT NULL DEFAULT '{}',
  wall_time REAL NOT NULL
);
CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step INTEGER NOT NULL,
  path TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  wall_time REAL NOT NULL
);
)sql",
      // v2: per-prompt pass-rate tracking for difficulty filtering.
      R"sql(
CREATE TABLE prompt_stats (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  prompt_id TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  passes INTEGER NOT NULL,
  recent TEXT NOT NULL DEFAULT '',
  last_step INTEGER NOT NULL,
  PRIMARY KEY (run_id, prompt_id)
);
)sql",
  };
  return kMigrations;
}

}  // namespace rl::store
