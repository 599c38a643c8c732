// Finding a run's store from the command line: RUN is a run directory, a run.sqlite file, or
// a run name under runs/. Shared by `rl runs/metrics/samples` and `rl plot`.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "rl/core/status.h"
#include "rl/store/run_store.h"

namespace rl::cli {

// RUN is a run directory, a run.sqlite file, or a run name under runs/.
inline StatusOr<std::string> ResolveStorePath(const std::string& run) {
  std::vector<std::filesystem::path> candidates = {
      std::filesystem::path(run) / "run.sqlite", std::filesystem::path(run),
      std::filesystem::path("runs") / run / "run.sqlite"};
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(c, ec)) return c.string();
  }
  return absl::NotFoundError("no run store at '" + run + "' (tried " + run + "/run.sqlite, " + run +
                             ", runs/" + run + "/run.sqlite)");
}

inline StatusOr<std::pair<std::unique_ptr<store::RunStore>, store::RunRow>> OpenRun(
    const std::string& run, const std::string& run_id) {
  RL_ASSIGN_OR_RETURN(std::string path, ResolveStorePath(run));
  RL_ASSIGN_OR_RETURN(auto st, store::RunStore::OpenReadOnly(path));
  RL_ASSIGN_OR_RETURN(auto runs, st->ListRuns());
  if (runs.empty()) return absl::NotFoundError(path + ": holds no run");
  if (run_id.empty()) return std::make_pair(std::move(st), runs.back());
  for (const auto& r : runs) {
    if (std::to_string(r.id) == run_id) return std::make_pair(std::move(st), r);
  }
  return absl::NotFoundError(path + ": no run with id " + run_id);
}

}  // namespace rl::cli
