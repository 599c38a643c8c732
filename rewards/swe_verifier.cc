#include "rewards/swe_verifier.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "sandbox/swe/instance.h"
#include "sandbox/swe/runner.h"

namespace rl::rewards {
namespace {

using nlohmann::json;

class SweVerifier : public Verifier {
 public:
  std::string name() const override { return "swe"; }

  StatusOr<VerifyResult> Verify(const VerifyInput& input) override {
    const tasks::Task& task = *input.task;
    const std::string where = "task " + task.id + ": swe metadata: ";
    json m = json::parse(task.metadata.empty() ? "{}" : task.metadata, nullptr, false);
    if (m.is_discarded() || !m.is_object())
      return absl::InvalidArgumentError(where + "not a JSON object");
    swe::Instance inst;
    if (m.contains("instance")) {
      std::string base = m.value("base_dir", std::string("."));
      auto parsed = swe::ParseInstanceLine(m["instance"].dump(), "metadata", 1, base);
      if (!parsed.ok())
        return absl::InvalidArgumentError(where + std::string(parsed.status().message()));
      inst = std::move(*parsed);
    } else if (m.contains("instances_file") && m.contains("instance_id")) {
      if (!m["instances_file"].is_string() || !m["instance_id"].is_string())
        return absl::InvalidArgumentError(where + "instances_file and instance_id must be strings");
      auto found =
          Lookup(m["instances_file"].get<std::string>(), m["instance_id"].get<std::string>());
      if (!found.ok())
        return absl::InvalidArgumentError(where + std::string(found.status().message()));
      inst = std::move(*found);
    } else {
      return absl::InvalidArgumentError(
          where + "needs \"instance\" or \"instances_file\" + \"instance_id\"");
    }
    std::string_view response = input.response;
    size_t think = response.rfind("</think>");
    if (think != std::string_view::npos) response = response.substr(think + 8);
    std::string patch = swe::ExtractPatch(response);
    auto r = swe::Run(inst, patch);
    if (!r.ok()) return r.status();
    VerifyResult out;
    out.reward = r->reward;
    out.correct = r->outcome == "resolved";
    out.details = swe::EvalResultToJson(*r);
    return out;
  }

 private:
  StatusOr<swe::Instance> Lookup(const std::string& file, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(file);
    if (it == cache_.end()) {
      auto insts = swe::ReadInstances(file);
      if (!insts.ok()) return insts.status();
      it = cache_.emplace(file, std::move(*insts)).first;
    }
    for (const swe::Instance& i : it->second)
      if (i.instance_id == id) return i;
    return absl::NotFoundError(file + ": no instance '" + id + "'");
  }

  std::mutex mu_;
  std::map<std::string, std::vector<swe::Instance>> cache_;
};

}  // namespace

std::shared_ptr<Verifier> MakeSweVerifier() { return std::make_shared<SweVerifier>(); }

const char kDefaultSwePromptTemplate[] =
    "You are given a repository and an issue. Write a patch that fixes the issue.\n"
    "\n"
    "<issue>\n"
    "{problem_statement}\n"
    "</issue>\n"
    "\n"
    "<files>\n"
    "{files}"
    "</files>\n"
    "\n"
    "Answer with a single unified diff (paths a/... b/..., relative to the repository root) in "
    "a ```diff fenced block. Do not modify tests.\n";

namespace {

namespace fs = std::filesystem;

bool HiddenPath(const fs::path& rel) {
  for (const auto& part : rel)
    if (!part.empty() && part.string()[0] == '.') return true;
  return false;
}

StatusOr<std::string> ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return absl::NotFoundError(p.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> SwePromptFiles(const swe::Instance& inst) {
  std::vector<std::string> files;
  if (!inst.relevant_files.empty()) {
    files = inst.relevant_files;
  } else {
    std::set<std::string> excluded;
    for (const std::string& p : swe::PatchedPaths(inst.test_patch)) excluded.insert(p);
    for (const std::string& p : inst.protected_files) excluded.insert(p);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(inst.repo, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::path rel = fs::relative(it->path(), inst.repo, ec);
      if (HiddenPath(rel)) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || it->is_symlink() || excluded.count(rel.generic_string()))
        continue;
      auto text = ReadText(it->path());
      if (!text.ok() || text->find('\0') != std::string::npos) continue;  // binary
      files.push_back(rel.generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  auto mentioned = [&](const std::string& f) {
    return inst.problem_statement.find(f) != std::string::npos ||
           inst.problem_statement.find(fs::path(f).filename().string()) != std::string::npos;
  };
  std::stable_partition(files.begin(), files.end(), mentioned);
  return files;
}

StatusOr<std::string> RenderSwePrompt(const swe::Instance& inst, const std::string& tmpl,
                                      int64_t max_file_bytes) {
  std::vector<std::string> files = SwePromptFiles(inst);
  std::string list, shown;
  int64_t used = 0;
  for (const std::string& f : files) {
    list += f + "\n";
    if (tmpl.find("{files}") == std::string::npos) continue;
    auto text = ReadText(fs::path(inst.repo) / f);
    if (!text.ok())
      return absl::InvalidArgumentError(
          inst.instance_id + ": relevant_files: " + std::string(text.status().message()));
    const int64_t n = static_cast<int64_t>(text->size());
    if (used + n > max_file_bytes) {
      shown += "=== " + f + " (" + std::to_string(n) + " bytes, omitted) ===\n";
      continue;
    }
    used += n;
    shown += "=== " + f + " ===\n" + *text;
    if (!text->empty() && text->back() != '\n') shown += "\n";
  }
  // One pass per placeholder, in an order where no substituted text is substituted again:
  // the problem statement and files may themselves contain braces.
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    auto take = [&](const char* name, const std::string& value) {
      size_t n = std::char_traits<char>::length(name);
      if (tmpl.compare(i, n, name) != 0) return false;
      out += value;
      i += n;
      return true;
    };
    if (tmpl[i] == '{' &&
        (take("{problem_statement}", inst.problem_statement) || take("{files}", shown) ||
         take("{file_list}", list) || take("{instance_id}", inst.instance_id)))
      continue;
    out += tmpl[i++];
  }
  return out;
}

StatusOr<std::vector<tasks::Task>> LoadSweTasks(const config::TaskSourceSection& source) {
  const std::string where =
      "tasks.sources (" + (source.name.empty() ? source.path : source.name) + "): ";
  const std::string tmpl =
      source.prompt_template.empty() ? kDefaultSwePromptTemplate : source.prompt_template;
  if (tmpl.find("{problem_statement}") == std::string::npos)
    return absl::InvalidArgumentError(where + "prompt_template has no {problem_statement}");
  std::error_code ec;
  std::string file = fs::absolute(source.path, ec).lexically_normal().string();
  auto insts = swe::ReadInstances(file);
  if (!insts.ok())
    return absl::Status(insts.status().code(), where + std::string(insts.status().message()));
  if (insts->empty()) return absl::InvalidArgumentError(where + file + ": no instances");
  std::vector<tasks::Task> out;
  for (const swe::Instance& inst : *insts) {
    if (source.limit > 0 && static_cast<int64_t>(out.size()) >= source.limit) break;
    auto prompt = RenderSwePrompt(inst, tmpl, source.files_max_bytes);
    if (!prompt.ok())
      return absl::InvalidArgumentError(where + std::string(prompt.status().message()));
    tasks::Task t;
    t.id = inst.instance_id;
    t.kind = "swe";
    t.prompt = std::move(*prompt);
    t.metadata = json{{"instances_file", file}, {"instance_id", inst.instance_id}}.dump();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace rl::rewards
