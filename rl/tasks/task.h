// The task record every task source produces and every verifier consumes. On disk it is one
// JSON object per line (JSONL): {"id", "kind", "prompt", "answer", "metadata"}; `metadata`
// is any JSON object (test cases, puzzle data, …) and travels verbatim as JSON text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"

namespace rl::tasks {

struct Task {
  std::string id;
  std::string kind;
  std::string prompt;
  std::string answer;           // reference answer or worked solution; may be empty
  std::string metadata = "{}";  // a JSON object, serialised
};

// Parses one JSONL line; errors name `file:line` and the field.
StatusOr<Task> ParseTaskLine(std::string_view line, std::string_view file, int line_no);
std::string TaskToJson(const Task& task);

// Reads a whole JSONL file (blank lines skipped). Duplicate ids are an error.
StatusOr<std::vector<Task>> ReadTasksJsonl(const std::string& path);
Status WriteTasksJsonl(const std::string& path, const std::vector<Task>& tasks);

}  // namespace rl::tasks
