#include "sandbox/swe/instance.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sandbox/swe/repo_source.h"

namespace rl::swe {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view file, int line, std::string_view field, std::string_view msg) {
  return absl::InvalidArgumentError(std::string(file) + ":" + std::to_string(line) + ": " +
                                    std::string(field) + ": " + std::string(msg));
}

absl::StatusOr<std::vector<std::string>> StringList(const json& j, std::string_view file, int line,
                                                    const char* field) {
  std::vector<std::string> out;
  if (!j.contains(field)) return out;
  const json& v = j.at(field);
  if (!v.is_array()) return Bad(file, line, field, "must be an array of strings");
  for (const json& e : v) {
    if (!e.is_string() || e.get<std::string>().empty())
      return Bad(file, line, field, "must hold non-empty strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::string> Str(const json& j, std::string_view file, int line, const char* field,
                                bool required) {
  if (!j.contains(field)) {
    if (required) return Bad(file, line, field, "missing");
    return std::string();
  }
  if (!j.at(field).is_string()) return Bad(file, line, field, "must be a string");
  return j.at(field).get<std::string>();
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool LooksLikeDiff(std::string_view s) {
  return s.find("\n+++ ") != std::string_view::npos || s.rfind("+++ ", 0) == 0 ||
         s.find("diff --git") != std::string_view::npos;
}

}  // namespace

absl::StatusOr<Instance> ParseInstanceLine(std::string_view line, std::string_view file,
                                           int line_no, const std::string& base_dir) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad(file, line_no, "<line>", "not a JSON object");
  Instance in;
  auto assign = [&](std::string& dst, const char* f, bool req) -> absl::Status {
    auto s = Str(j, file, line_no, f, req);
    if (!s.ok()) return s.status();
    dst = *s;
    return absl::OkStatus();
  };
  absl::Status st;
  if (!(st = assign(in.instance_id, "instance_id", true)).ok()) return st;
  if (in.instance_id.empty()) return Bad(file, line_no, "instance_id", "empty");
  if (!(st = assign(in.repo, "repo", true)).ok()) return st;
  if (!(st = assign(in.base_commit, "base_commit", false)).ok()) return st;
  if (!(st = assign(in.problem_statement, "problem_statement", true)).ok()) return st;
  if (!(st = assign(in.test_patch, "test_patch", false)).ok()) return st;
  if (!(st = assign(in.test_cmd, "test_cmd", true)).ok()) return st;
  if (in.test_cmd.empty()) return Bad(file, line_no, "test_cmd", "empty");
  if (j.contains("log_parser")) {
    if (!(st = assign(in.log_parser, "log_parser", false)).ok()) return st;
    static const std::set<std::string> kParsers = {"plain", "pytest", "gotest", "gtest", "ctest"};
    if (!kParsers.count(in.log_parser))
      return Bad(file, line_no, "log_parser",
                 absl::StrCat("unknown '", in.log_parser, "' (plain|pytest|gotest|gtest|ctest)"));
  }
  auto f2p = StringList(j, file, line_no, "FAIL_TO_PASS");
  if (!f2p.ok()) return f2p.status();
  in.fail_to_pass = *f2p;
  if (in.fail_to_pass.empty()) return Bad(file, line_no, "FAIL_TO_PASS", "empty");
  auto p2p = StringList(j, file, line_no, "PASS_TO_PASS");
  if (!p2p.ok()) return p2p.status();
  in.pass_to_pass = *p2p;
  auto prot = StringList(j, file, line_no, "protected_files");
  if (!prot.ok()) return prot.status();
  in.protected_files = *prot;
  for (const std::string& p : in.protected_files)
    if (p.front() == '/' || p.find("..") != std::string::npos)
      return Bad(file, line_no, "protected_files", absl::StrCat("not a relative path: ", p));
  if (j.contains("time_limit_s")) {
    if (!j["time_limit_s"].is_number() || j["time_limit_s"].get<double>() <= 0 ||
        j["time_limit_s"].get<double>() > 600)
      return Bad(file, line_no, "time_limit_s", "must be a number in (0, 600]");
    in.time_limit_s = j["time_limit_s"].get<double>();
  }
  if (j.contains("memory_mb")) {
    if (!j["memory_mb"].is_number_integer() || j["memory_mb"].get<int64_t>() < 16 ||
        j["memory_mb"].get<int64_t>() > 8192)
      return Bad(file, line_no, "memory_mb", "must be an integer in [16, 8192]");
    in.memory_mb = j["memory_mb"].get<int64_t>();
  }
  auto rel = StringList(j, file, line_no, "relevant_files");
  if (!rel.ok()) return rel.status();
  in.relevant_files = *rel;
  for (const std::string& p : in.relevant_files)
    if (p.front() == '/' || p.find("..") != std::string::npos)
      return Bad(file, line_no, "relevant_files", absl::StrCat("not a relative path: ", p));
  std::filesystem::path repo(in.repo);
  if (repo.is_relative()) repo = std::filesystem::path(base_dir) / repo;
  auto tree = MaterializeRepo(repo.string(), in.base_commit);
  if (!tree.ok())
    return Bad(file, line_no, absl::IsInvalidArgument(tree.status()) ? "repo" : "repo (unpack)",
               std::string(tree.status().message()));
  in.repo_source = repo.string();
  in.repo = *tree;
  return in;
}

absl::StatusOr<std::vector<Instance>> ReadInstances(const std::string& path) {
  auto text = ReadAll(path);
  if (!text.ok()) return text.status();
  std::string base = std::filesystem::path(path).parent_path().string();
  if (base.empty()) base = ".";
  std::vector<Instance> out;
  std::set<std::string> ids;
  std::istringstream in(*text);
  std::string line;
  int no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto inst = ParseInstanceLine(line, path, no, base);
    if (!inst.ok()) return inst.status();
    if (!ids.insert(inst->instance_id).second)
      return Bad(path, no, "instance_id", absl::StrCat("duplicate '", inst->instance_id, "'"));
    out.push_back(std::move(*inst));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ReadPatches(const std::string& path) {
  auto text = ReadAll(path);
  if (!text.ok()) return text.status();
  std::map<std::string, std::string> out;
  std::istringstream in(*text);
  std::string line;
  int no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Bad(path, no, "<line>", "not a JSON object");
    auto id = Str(j, path, no, "instance_id", true);
    if (!id.ok()) return id.status();
    std::string patch;
    if (j.contains("patch")) {
      auto p = Str(j, path, no, "patch", true);
      if (!p.ok()) return p.status();
      patch = *p;
    } else if (j.contains("response")) {
      auto r = Str(j, path, no, "response", true);
      if (!r.ok()) return r.status();
      patch = ExtractPatch(*r);
    } else {
      return Bad(path, no, "patch", "missing (give \"patch\" or \"response\")");
    }
    if (!out.emplace(*id, patch).second)
      return Bad(path, no, "instance_id", absl::StrCat("duplicate '", *id, "'"));
  }
  return out;
}

std::string ExtractPatch(std::string_view r) {
  // Fenced blocks: ```lang\n ... \n```
  std::string best_tagged, best_any;
  size_t pos = 0;
  while (true) {
    size_t open = r.find("```", pos);
    if (open == std::string_view::npos) break;
    size_t eol = r.find('\n', open);
    if (eol == std::string_view::npos) break;
    std::string_view tag = r.substr(open + 3, eol - open - 3);
    size_t close = r.find("\n```", eol);
    if (close == std::string_view::npos) break;
    std::string body(r.substr(eol + 1, close - eol));  // keeps the final newline
    if (tag == "diff" || tag == "patch")
      best_tagged = body;
    else if (LooksLikeDiff(body))
      best_any = body;
    pos = close + 4;
  }
  if (!best_tagged.empty()) return best_tagged;
  if (!best_any.empty()) return best_any;
  size_t start = r.find("diff --git");
  if (start == std::string_view::npos) {
    size_t p = 0;
    while ((p = r.find("--- ", p)) != std::string_view::npos) {
      if (p == 0 || r[p - 1] == '\n') {
        size_t nl = r.find('\n', p);
        if (nl != std::string_view::npos && r.substr(nl + 1, 4) == "+++ ") {
          start = p;
          break;
        }
      }
      p += 4;
    }
  }
  if (start == std::string_view::npos) return "";
  std::string out(r.substr(start));
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

std::vector<std::string> PatchedPaths(std::string_view patch) {
  std::set<std::string> paths;
  std::istringstream in{std::string(patch)};
  std::string line, minus;
  auto strip = [](std::string p) {
    size_t tab = p.find('\t');
    if (tab != std::string::npos) p.resize(tab);
    while (!p.empty() && (p.back() == '\r' || p.back() == ' ')) p.pop_back();
    if (p.rfind("a/", 0) == 0 || p.rfind("b/", 0) == 0) p = p.substr(2);
    return p;
  };
  while (std::getline(in, line)) {
    if (line.rfind("--- ", 0) == 0) {
      minus = strip(line.substr(4));
    } else if (line.rfind("+++ ", 0) == 0) {
      std::string plus = strip(line.substr(4));
      if (plus != "/dev/null")
        paths.insert(plus);
      else if (minus != "/dev/null" && !minus.empty())
        paths.insert(minus);
    }
  }
  return {paths.begin(), paths.end()};
}

}  // namespace rl::swe
