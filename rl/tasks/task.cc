#include "rl/tasks/task.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace rl::tasks {

using nlohmann::json;

StatusOr<Task> ParseTaskLine(std::string_view line, std::string_view file, int line_no) {
  std::string where = std::string(file) + ":" + std::to_string(line_no) + ": ";
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(where + "invalid JSON: " + e.what());
  }
  if (!j.is_object()) return absl::InvalidArgumentError(where + "a task must be a JSON object");
  static const std::set<std::string> kKnown = {"id", "kind", "prompt", "answer", "metadata"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!kKnown.count(it.key())) {
      return absl::InvalidArgumentError(where + "unknown field '" + it.key() +
                                        "' (fields: id, kind, prompt, answer, metadata)");
    }
  }
  Task t;
  auto str = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return absl::InvalidArgumentError(where + "missing field '" + key + "'");
      return absl::OkStatus();
    }
    if (it->is_string()) {
      *out = it->get<std::string>();
    } else if (it->is_number() && std::string(key) == "answer") {
      *out = it->dump();
    } else {
      return absl::InvalidArgumentError(where + "field '" + key + "' must be a string");
    }
    return absl::OkStatus();
  };
  RL_RETURN_IF_ERROR(str("id", &t.id, true));
  RL_RETURN_IF_ERROR(str("kind", &t.kind, true));
  RL_RETURN_IF_ERROR(str("prompt", &t.prompt, true));
  RL_RETURN_IF_ERROR(str("answer", &t.answer, false));
  if (t.id.empty()) return absl::InvalidArgumentError(where + "field 'id' is empty");
  if (auto it = j.find("metadata"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return absl::InvalidArgumentError(where + "field 'metadata' must be an object");
    t.metadata = it->dump();
  }
  return t;
}

std::string TaskToJson(const Task& t) {
  json j = {{"id", t.id}, {"kind", t.kind}, {"prompt", t.prompt}, {"answer", t.answer}};
  j["metadata"] = json::parse(t.metadata.empty() ? "{}" : t.metadata);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<std::vector<Task>> ReadTasksJsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(path + ": cannot open task file");
  std::vector<Task> out;
  std::set<std::string> ids;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    RL_ASSIGN_OR_RETURN(Task t, ParseTaskLine(line, path, line_no));
    if (!ids.insert(t.id).second) {
      return absl::InvalidArgumentError(path + ":" + std::to_string(line_no) +
                                        ": duplicate task id '" + t.id + "'");
    }
    out.push_back(std::move(t));
  }
  return out;
}

Status WriteTasksJsonl(const std::string& path, const std::vector<Task>& tasks) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::UnavailableError(path + ": cannot write task file");
  for (const auto& t : tasks) out << TaskToJson(t) << "\n";
  out.flush();
  if (!out) return absl::DataLossError(path + ": write failed");
  return absl::OkStatus();
}

}  // namespace rl::tasks
