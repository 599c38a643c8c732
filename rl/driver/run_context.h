// Opening a run: the run directory, its store, and the run row. `rl train` starts here; a
// resumed run reuses the newest run row of the directory instead of adding one.
#pragma once

#include <memory>
#include <string>

#include "rl/config/run_config.h"
#include "rl/core/status.h"
#include "rl/store/run_store.h"

namespace rl::driver {

struct RunContext {
  config::RunConfig config;
  std::string dir;
  std::unique_ptr<store::RunStore> store;
  int64_t run_id = 0;
  bool resumed = false;
};

// Creates run.dir (and checkpoints/), opens run.sqlite, and records the resolved config.
// Without resume, a directory that already holds a run is refused (FailedPrecondition) so
// nothing stored is overwritten by accident.
StatusOr<std::unique_ptr<RunContext>> OpenRun(const config::RunConfig& config, bool resume);

}  // namespace rl::driver
