// `rl train CONFIG [--resume] [--set k=v]`.
#include <iostream>

#include "rl/cli/command.h"
#include "rl/config/config.h"
#include "rl/driver/run_context.h"
#include "rl/driver/train_loop.h"

namespace rl::cli {

int RunTrain(const Args& args) {
  ArgParser p("rl train", "Run RL post-training from a YAML config; everything lands in run.dir.");
  p.Positional("CONFIG", "the run's YAML file (see docs/config.md)");
  p.RepeatedOption("set", "PATH=VALUE", "override one key, e.g. --set run.steps=20");
  p.Flag("resume", "continue the run stored in run.dir from its last checkpoint");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::vector<config::Override> overrides;
  for (const auto& s : p.GetAll("set")) {
    auto o = config::ParseOverride(s);
    if (!o.ok()) return Fail(o.status());
    overrides.push_back(*o);
  }
  auto cfg = config::LoadConfigFile(p.positional("CONFIG"), overrides);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 1;
  }
  auto run = driver::OpenRun(*cfg, p.GetFlag("resume"));
  if (!run.ok()) return Fail(run.status());
  std::cerr << "rl train: run '" << cfg->run.name << "' (id " << (*run)->run_id << ") in "
            << (*run)->dir << (p.GetFlag("resume") ? " (resumed)" : "") << "\n";
  driver::InstallStopHandlers();
  Status st = driver::RunTraining(**run);
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace rl::cli
