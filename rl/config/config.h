// Loading a run config: YAML file (+ `--set path=value` overrides) → validated RunConfig.
// Every error is reported as `file:line:column: field.path: message`, all errors at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rl/config/run_config.h"
#include "rl/core/status.h"

namespace rl::config {

// A `--set a.b.c=value` override; value is parsed as a YAML scalar or flow collection.
struct Override {
  std::string path;
  std::string value;
  std::string text;  // as given, for error messages
};

StatusOr<Override> ParseOverride(std::string_view text);

// Loads text (named `file` in errors) with overrides applied. The error lists every problem.
StatusOr<RunConfig> LoadConfigFromString(std::string_view text, std::string_view file,
                                         const std::vector<Override>& overrides = {});
StatusOr<RunConfig> LoadConfigFile(const std::string& path,
                                   const std::vector<Override>& overrides = {});

// The resolved config as YAML (every key, defaults included); loads back to the same config.
std::string DumpConfig(const RunConfig& config);

// Markdown reference of every key: path, type, default, allowed values, meaning.
std::string ConfigReference();

// The run directory: run.dir, or runs/<run.name>.
std::string RunDir(const RunConfig& config);

}  // namespace rl::config
