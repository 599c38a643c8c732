#include "rl/core/args.h"

#include <cstdlib>
#include <sstream>

#include "rl/core/strings.h"

namespace rl {

ArgParser::ArgParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

ArgParser& ArgParser::Option(std::string name, std::string value_name, std::string help,
                             std::string default_value) {
  specs_.push_back({std::move(name), std::move(value_name), std::move(help),
                    std::move(default_value), false, false});
  return *this;
}

ArgParser& ArgParser::RepeatedOption(std::string name, std::string value_name, std::string help) {
  specs_.push_back({std::move(name), std::move(value_name), std::move(help), "", false, true});
  return *this;
}

ArgParser& ArgParser::Flag(std::string name, std::string help) {
  specs_.push_back({std::move(name), "", std::move(help), "", true, false});
  return *this;
}

ArgParser& ArgParser::Positional(std::string name, std::string help, bool required) {
  positional_specs_.push_back({std::move(name), std::move(help), required});
  return *this;
}

ArgParser& ArgParser::Rest(std::string name, std::string help) {
  rest_spec_ = {std::move(name), std::move(help)};
  return *this;
}

const ArgParser::Spec* ArgParser::Find(std::string_view name) const {
  for (const auto& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Status ArgParser::Parse(const std::vector<std::string>& args) {
  size_t next_positional = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    if (a == "--") {
      if (!rest_spec_) return absl::InvalidArgumentError(program_ + ": unexpected '--'");
      rest_.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (StartsWith(a, "--")) {
      std::string name = a.substr(2), value;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      const Spec* spec = Find(name);
      if (spec == nullptr) {
        std::vector<std::string> names;
        for (const auto& s : specs_) names.push_back(s.name);
        std::string hint = DidYouMean(name, names);
        return absl::InvalidArgumentError(program_ + ": unknown option --" + name +
                                          (hint.empty() ? "" : " (did you mean --" + hint + "?)") +
                                          "; see --help");
      }
      if (spec->flag) {
        if (has_inline) {
          return absl::InvalidArgumentError(program_ + ": --" + name + " takes no value");
        }
        values_[name].push_back("true");
        continue;
      }
      if (!has_inline) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(program_ + ": --" + name + " needs a value <" +
                                            spec->value_name + ">");
        }
        value = args[++i];
      }
      auto& slot = values_[name];
      if (!spec->repeated) slot.clear();
      slot.push_back(value);
      continue;
    }
    if (next_positional < positional_specs_.size()) {
      positionals_[positional_specs_[next_positional++].name] = a;
      continue;
    }
    if (rest_spec_ && positional_specs_.empty()) {
      rest_.assign(args.begin() + static_cast<long>(i), args.end());
      break;
    }
    return absl::InvalidArgumentError(program_ + ": unexpected argument '" + a + "'; see --help");
  }
  for (size_t p = next_positional; p < positional_specs_.size(); ++p) {
    if (positional_specs_[p].required) {
      return absl::InvalidArgumentError(program_ + ": missing " + positional_specs_[p].name +
                                        "; see --help");
    }
  }
  return absl::OkStatus();
}

std::string ArgParser::Help() const {
  std::ostringstream out;
  out << "usage: " << program_;
  if (!specs_.empty()) out << " [options]";
  for (const auto& p : positional_specs_) out << (p.required ? " " : " [") << p.name
                                              << (p.required ? "" : "]");
  if (rest_spec_) out << " [-- " << rest_spec_->first << "...]";
  out << "\n\n" << summary_ << "\n";
  if (!positional_specs_.empty() || rest_spec_) out << "\narguments:\n";
  for (const auto& p : positional_specs_) out << "  " << p.name << "\n      " << p.help << "\n";
  if (rest_spec_) out << "  " << rest_spec_->first << "\n      " << rest_spec_->second << "\n";
  out << "\noptions:\n";
  for (const auto& s : specs_) {
    out << "  --" << s.name;
    if (!s.flag) out << " <" << s.value_name << ">";
    out << "\n      " << s.help;
    if (!s.default_value.empty()) out << " (default: " << s.default_value << ")";
    if (s.repeated) out << " (repeatable)";
    out << "\n";
  }
  out << "  --help\n      show this text\n";
  return out.str();
}

bool ArgParser::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::string ArgParser::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  const Spec* spec = Find(name);
  return spec ? spec->default_value : std::string();
}

std::vector<std::string> ArgParser::GetAll(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

StatusOr<long long> ArgParser::GetInt(std::string_view name) const {
  std::string v = Get(name);
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') {
    return absl::InvalidArgumentError(program_ + ": --" + std::string(name) +
                                      " expects an integer, got '" + v + "'");
  }
  return x;
}

StatusOr<double> ArgParser::GetDouble(std::string_view name) const {
  std::string v = Get(name);
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') {
    return absl::InvalidArgumentError(program_ + ": --" + std::string(name) +
                                      " expects a number, got '" + v + "'");
  }
  return x;
}

std::string ArgParser::positional(std::string_view name) const {
  auto it = positionals_.find(name);
  return it == positionals_.end() ? std::string() : it->second;
}

}  // namespace rl
