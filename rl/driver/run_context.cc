#include "rl/driver/run_context.h"

#include <filesystem>

#include "rl/config/config.h"

namespace rl::driver {
namespace fs = std::filesystem;

StatusOr<std::unique_ptr<RunContext>> OpenRun(const config::RunConfig& config, bool resume) {
  auto ctx = std::make_unique<RunContext>();
  ctx->config = config;
  ctx->dir = config::RunDir(config);
  std::error_code ec;
  fs::create_directories(fs::path(ctx->dir) / "checkpoints", ec);
  if (ec) return absl::UnavailableError(ctx->dir + ": cannot create run directory: " + ec.message());
  std::string db = (fs::path(ctx->dir) / "run.sqlite").string();
  bool existed = fs::exists(db, ec);
  RL_ASSIGN_OR_RETURN(ctx->store, store::RunStore::Open(db));
  RL_ASSIGN_OR_RETURN(auto runs, ctx->store->ListRuns());
  if (!runs.empty() && !resume) {
    return absl::FailedPreconditionError(
        ctx->dir + " already holds run '" + runs.back().name +
        "'; pass --resume to continue it, or choose another run.name / run.dir");
  }
  if (resume && (runs.empty() || !existed)) {
    return absl::FailedPreconditionError(ctx->dir + ": nothing to resume (no run stored there)");
  }
  if (resume) {
    ctx->run_id = runs.back().id;
    ctx->resumed = true;
    ctx->store->SetRunStatus(ctx->run_id, "running", /*ended=*/false);
    RL_RETURN_IF_ERROR(ctx->store->Flush());
  } else {
    RL_ASSIGN_OR_RETURN(ctx->run_id, ctx->store->CreateRun(config.run.name,
                                                           config::DumpConfig(config), ctx->dir));
  }
  return ctx;
}

}  // namespace rl::driver
