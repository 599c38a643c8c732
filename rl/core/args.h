// Command-line parsing for `rl` subcommands: `--name value` and `--name=value`, boolean
// flags, repeatable options, positionals, and everything after `--` kept verbatim. Every
// parser answers `--help` with a usage text generated from its declarations.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"

namespace rl {

class ArgParser {
 public:
  // program: e.g. "rl metrics"; summary: one line shown under the usage.
  ArgParser(std::string program, std::string summary);

  // An option taking a value; `default_value` empty means "unset unless given".
  ArgParser& Option(std::string name, std::string value_name, std::string help,
                    std::string default_value = "");
  ArgParser& RepeatedOption(std::string name, std::string value_name, std::string help);
  ArgParser& Flag(std::string name, std::string help);
  ArgParser& Positional(std::string name, std::string help, bool required = true);
  // Accept arguments after `--` (e.g. the command of `rl sandbox run`).
  ArgParser& Rest(std::string name, std::string help);

  // Parses argv (without the program/subcommand words). On `--help` returns ok with
  // help_requested() true. Unknown options are errors with a did-you-mean suggestion.
  Status Parse(const std::vector<std::string>& args);

  bool help_requested() const { return help_requested_; }
  std::string Help() const;

  bool Has(std::string_view name) const;
  std::string Get(std::string_view name) const;  // value or the default
  std::vector<std::string> GetAll(std::string_view name) const;
  bool GetFlag(std::string_view name) const { return Has(name); }
  StatusOr<long long> GetInt(std::string_view name) const;
  StatusOr<double> GetDouble(std::string_view name) const;
  std::string positional(std::string_view name) const;
  const std::vector<std::string>& rest() const { return rest_; }

 private:
  struct Spec {
    std::string name, value_name, help, default_value;
    bool flag = false, repeated = false;
  };
  struct PositionalSpec {
    std::string name, help;
    bool required;
  };
  const Spec* Find(std::string_view name) const;

  std::string program_, summary_;
  std::vector<Spec> specs_;
  std::vector<PositionalSpec> positional_specs_;
  std::optional<std::pair<std::string, std::string>> rest_spec_;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> positionals_;
  std::vector<std::string> rest_;
  bool help_requested_ = false;
};

}  // namespace rl
