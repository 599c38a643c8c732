// `rl config check|show|doc`.
#include <iostream>

#include "rl/cli/command.h"
#include "rl/config/config.h"

namespace rl::cli {
namespace {

ArgParser ConfigParser(const char* name, const char* summary) {
  ArgParser p(name, summary);
  p.Positional("CONFIG", "the run's YAML file");
  p.RepeatedOption("set", "PATH=VALUE", "override one key, e.g. --set algorithm.eps_high=0.28");
  return p;
}

StatusOr<config::RunConfig> LoadFromArgs(const ArgParser& p) {
  std::vector<config::Override> overrides;
  for (const auto& s : p.GetAll("set")) {
    RL_ASSIGN_OR_RETURN(config::Override o, config::ParseOverride(s));
    overrides.push_back(std::move(o));
  }
  return config::LoadConfigFile(p.positional("CONFIG"), overrides);
}

}  // namespace

int RunConfigCheck(const Args& args) {
  ArgParser p = ConfigParser("rl config check", "Validate a run config and report every error.");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  auto cfg = LoadFromArgs(p);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 1;
  }
  std::cout << p.positional("CONFIG") << ": ok\n";
  return 0;
}

int RunConfigShow(const Args& args) {
  ArgParser p = ConfigParser("rl config show", "Print the resolved config, defaults included.");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  auto cfg = LoadFromArgs(p);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 1;
  }
  std::cout << config::DumpConfig(*cfg);
  return 0;
}

int RunConfigDoc(const Args& args) {
  ArgParser p("rl config doc", "Print the Markdown reference of every config key.");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::cout << config::ConfigReference();
  return 0;
}

}  // namespace rl::cli
