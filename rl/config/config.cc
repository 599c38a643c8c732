#include "rl/config/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "rl/config/yaml_visitors.h"

namespace rl::config {

std::string ConfigError::ToString() const {
  std::ostringstream s;
  s << file;
  if (line > 0) s << ":" << line << ":" << column;
  s << ": " << path << ": " << message;
  return s.str();
}

void LoadContext::Error(const YAML::Node& node, const std::string& path,
                        const std::string& message) {
  for (const auto& [opath, text] : overrides) {
    if (path == opath || StartsWith(path, opath + ".") || StartsWith(path, opath + "[")) {
      errors.push_back({"--set " + text, 0, 0, path, message});
      return;
    }
  }
  YAML::Mark m = node.Mark();
  errors.push_back({file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, path,
                    message});
}

void LoadContext::ErrorAtKey(const YAML::Mark& mark, const std::string& path,
                             const std::string& message) {
  for (const auto& [opath, text] : overrides) {
    if (path == opath || StartsWith(path, opath + ".")) {
      errors.push_back({"--set " + text, 0, 0, path, message});
      return;
    }
  }
  errors.push_back({file, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1,
                    path, message});
}

StatusOr<Override> ParseOverride(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError("--set " + std::string(text) +
                                      ": expected path=value, e.g. algorithm.eps_high=0.28");
  }
  Override o{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)), std::string(text)};
  for (const auto& part : Split(o.path, '.')) {
    if (part.empty()) {
      return absl::InvalidArgumentError("--set " + o.text + ": empty component in path '" +
                                        o.path + "'");
    }
  }
  return o;
}

namespace {

bool IsIndex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Applies one override to the document tree, creating maps on the way.
Status ApplyOverride(YAML::Node root, const Override& o) {
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError("--set " + o.text + ": value is not valid YAML: " + e.msg);
  }
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(o.value);
  std::vector<std::string> parts = Split(o.path, '.');
  YAML::Node cur = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (cur.IsSequence() && IsIndex(p)) {
      size_t idx = std::stoul(p);
      if (idx >= cur.size()) {
        return absl::InvalidArgumentError("--set " + o.text + ": index " + p + " is past the end of " +
                                          Join(std::vector<std::string>(parts.begin(), parts.begin() + i), "."));
      }
      cur.reset(cur[idx]);
      continue;
    }
    if (cur.IsScalar()) {
      return absl::InvalidArgumentError("--set " + o.text + ": '" + p + "' is inside a scalar");
    }
    YAML::Node next = cur[p];
    if (!next.IsDefined() || next.IsNull()) {
      cur[p] = YAML::Node(YAML::NodeType::Map);
      next = cur[p];
    }
    cur.reset(next);
  }
  const std::string& last = parts.back();
  if (cur.IsSequence() && IsIndex(last)) {
    size_t idx = std::stoul(last);
    if (idx >= cur.size()) return absl::InvalidArgumentError("--set " + o.text + ": index past the end");
    cur[idx] = value;
  } else {
    cur[last] = value;
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<RunConfig> LoadConfigFromString(std::string_view text, std::string_view file,
                                         const std::vector<Override>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(std::string(file) + ":" + std::to_string(e.mark.line + 1) +
                                      ":" + std::to_string(e.mark.column + 1) +
                                      ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string(file) + ": YAML error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(std::string(file) + ":1:1: the top level must be a map of sections");
  }
  LoadContext ctx;
  ctx.file = std::string(file);
  for (const auto& o : overrides) {
    RL_RETURN_IF_ERROR(ApplyOverride(root, o));
    ctx.overrides[o.path] = o.text;
  }
  RunConfig config;
  try {
    YamlLoader::LoadSection(root, "", config, &ctx);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string(file) + ": YAML error: " + e.msg);
  }
  if (!ctx.errors.empty()) {
    std::stable_sort(ctx.errors.begin(), ctx.errors.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    std::string msg;
    for (const auto& e : ctx.errors) msg += (msg.empty() ? "" : "\n") + e.ToString();
    return absl::InvalidArgumentError(msg);
  }
  return config;
}

StatusOr<RunConfig> LoadConfigFile(const std::string& path, const std::vector<Override>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadConfigFromString(ss.str(), path, overrides);
}

std::string DumpConfig(const RunConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  YamlDumper dumper(&out);
  const_cast<RunConfig&>(config).Visit(dumper);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string ConfigReference() {
  std::ostringstream out;
  out << "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
  RunConfig config;
  DocWriter writer(&out);
  config.Visit(writer);
  return out.str();
}

std::string RunDir(const RunConfig& config) {
  return config.run.dir.empty() ? "runs/" + config.run.name : config.run.dir;
}

}  // namespace rl::config
