#include "rewards/code/code_verifier.h"

#include <future>
#include <mutex>

#include "rewards/code/output_checker.h"
#include "sandbox/sandbox.h"

namespace rl::rewards::code {
namespace {

using nlohmann::json;
using sandbox::Outcome;

struct Test {
  std::string input, output;
};

struct Spec {
  std::vector<Test> tests;
  std::string language;
  CheckOptions check;
  bool fraction = false;
  double time_limit_s = 2;
  int64_t memory_mb = 256;
};

StatusOr<Spec> ReadSpec(const tasks::Task& task, const CodeOptions& o) {
  Spec s;
  s.time_limit_s = o.default_time_limit_s;
  s.memory_mb = o.default_memory_mb;
  std::string where = "task " + task.id + ": code metadata: ";
  try {
    json m = json::parse(task.metadata.empty() ? "{}" : task.metadata);
    if (!m.contains("tests") || !m["tests"].is_array() || m["tests"].empty()) {
      return absl::InvalidArgumentError(where + "'tests' must be a non-empty array");
    }
    for (const auto& t : m["tests"])
      s.tests.push_back({t.at("input").get<std::string>(), t.at("output").get<std::string>()});
    s.language = m.value("language", "");
    std::string checker = m.value("checker", "exact");
    if (checker != "exact" && checker != "tolerance")
      return absl::InvalidArgumentError(where + "checker must be exact or tolerance");
    s.check.tolerance = checker == "tolerance";
    s.check.abs_tol = m.value("abs_tol", 1e-6);
    s.check.rel_tol = m.value("rel_tol", 1e-6);
    std::string reward = m.value("reward", "all");
    if (reward != "all" && reward != "fraction")
      return absl::InvalidArgumentError(where + "reward must be all or fraction");
    s.fraction = reward == "fraction";
    s.time_limit_s = m.value("time_limit_s", s.time_limit_s);
    s.memory_mb = m.value("memory_mb", s.memory_mb);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(where + e.what());
  }
  return s;
}

std::string NormalizeLanguage(std::string l) {
  if (l == "python" || l == "py" || l == "python3") return "python";
  if (l == "cpp" || l == "c++" || l == "cc" || l == "cxx") return "cpp";
  return l;
}

std::string Verdict(const sandbox::JobResult& r) {
  if (r.status == Outcome::kOk && r.truncated) return "OLE";
  return sandbox::OutcomeName(r.status);
}

class CodeVerifier : public Verifier {
 public:
  explicit CodeVerifier(CodeOptions o) : options_(o) {}
  std::string name() const override { return "code"; }

  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    RL_ASSIGN_OR_RETURN(Spec spec, ReadSpec(*in.task, options_));
    RL_RETURN_IF_ERROR(sandbox::ProbeSupport());
    VerifyResult r;
    r.correct = false;
    r.details["total"] = spec.tests.size();
    r.details["passed"] = 0;
    auto block = ExtractCodeBlock(in.response);
    if (!block) {
      r.details["status"] = "NO_CODE";
      return r;
    }
    std::string lang = NormalizeLanguage(block->first.empty() ? spec.language : block->first);
    if (lang != "python" && lang != "cpp") lang = NormalizeLanguage(spec.language);
    if (lang != "python" && lang != "cpp") {
      r.details["status"] = "NO_CODE";
      r.details["reason"] = "unknown language '" + block->first + "'";
      return r;
    }
    r.details["language"] = lang;
    sandbox::JobSpec run;
    run.limits.cpu_s = spec.time_limit_s;
    run.limits.wall_s = spec.time_limit_s * 2 + 1;
    run.limits.memory_mb = spec.memory_mb;
    run.limits.procs = options_.procs;
    run.limits.output_kb = options_.output_kb;
    if (lang == "python") {
      run.argv = {"python3", "solution.py"};
      run.files["solution.py"] = block->second;
    } else {
      RL_ASSIGN_OR_RETURN(auto binary, Compile(block->second, &r));
      if (!binary) return r;  // compile error, already described
      run.argv = {"./solution"};
      run.files["solution"] = std::move(*binary);
    }
    std::vector<std::future<StatusOr<sandbox::JobResult>>> jobs;
    for (const auto& t : spec.tests) {
      sandbox::JobSpec job = run;
      job.stdin_data = t.input;
      jobs.push_back(Pool().Submit(std::move(job)));
    }
    int passed = 0;
    std::string first_failure;
    json tests = json::array();
    for (size_t i = 0; i < jobs.size(); ++i) {
      StatusOr<sandbox::JobResult> jr = jobs[i].get();
      if (!jr.ok()) return jr.status();
      std::string verdict = Verdict(*jr);
      std::string why;
      if (verdict == "OK" && jr->exit_code == 0 &&
          !OutputMatches(spec.tests[i].output, jr->stdout_data, spec.check, &why)) {
        verdict = "WA";
      }
      if (verdict == "OK" && jr->exit_code != 0) verdict = "RE";  // never a pass
      json tj = {{"verdict", verdict}, {"cpu_s", jr->cpu_s}, {"wall_s", jr->wall_s}};
      if (!why.empty()) tj["reason"] = why;
      if (verdict != "OK" && !jr->message.empty()) tj["message"] = jr->message;
      tests.push_back(tj);
      if (verdict == "OK") {
        ++passed;
      } else if (first_failure.empty()) {
        first_failure = verdict;
      }
    }
    int total = static_cast<int>(spec.tests.size());
    r.details["tests"] = tests;
    r.details["passed"] = passed;
    r.details["status"] = first_failure.empty() ? "OK" : first_failure;
    r.correct = passed == total;
    r.reward = spec.fraction ? static_cast<float>(passed) / static_cast<float>(total)
                             : (passed == total ? 1.0f : 0.0f);
    return r;
  }

 private:
  // The compiled binary, or nullopt after describing a compile error in *r.
  StatusOr<std::optional<std::string>> Compile(const std::string& source, VerifyResult* r) {
    sandbox::JobSpec job;
    job.argv = {"g++", "-O2", "-std=c++17", "-o", "solution", "solution.cc"};
    job.files["solution.cc"] = source;
    job.collect_files = {"solution"};
    job.limits.cpu_s = options_.compile_time_s;
    job.limits.wall_s = options_.compile_time_s * 2;
    job.limits.memory_mb = 1024;
    job.limits.output_kb = 64 << 10;  // the binary comes back through collect_files
    job.limits.file_size_mb = 256;
    job.limits.disk_mb = 512;
    RL_ASSIGN_OR_RETURN(sandbox::JobResult jr, Pool().Submit(std::move(job)).get());
    auto it = jr.output_files.find("solution");
    if (jr.status != Outcome::kOk || jr.exit_code != 0 || it == jr.output_files.end()) {
      r->details["status"] = "CE";
      r->details["compile_status"] = sandbox::OutcomeName(jr.status);
      r->details["compile_stderr"] = sandbox::SanitizeUtf8(jr.stderr_data.substr(0, 4096));
      return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move(it->second));
  }

  // The sandbox threads start with the first code task, not when the registry is built.
  sandbox::SandboxPool& Pool() {
    std::call_once(pool_once_, [&] {
      pool_ = std::make_unique<sandbox::SandboxPool>(std::max(1, options_.sandboxes));
    });
    return *pool_;
  }

  CodeOptions options_;
  std::once_flag pool_once_;
  std::unique_ptr<sandbox::SandboxPool> pool_;
};

}  // namespace

std::optional<std::pair<std::string, std::string>> ExtractCodeBlock(std::string_view response) {
  size_t think = response.rfind("</think>");
  if (think != std::string_view::npos) response = response.substr(think + 8);
  size_t close = response.rfind("```");
  if (close == std::string_view::npos || close == 0) return std::nullopt;
  size_t open = response.rfind("```", close - 1);
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view block = response.substr(open + 3, close - open - 3);
  size_t nl = block.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string tag(block.substr(0, nl));
  while (!tag.empty() && std::isspace(static_cast<unsigned char>(tag.back()))) tag.pop_back();
  for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::make_pair(tag, std::string(block.substr(nl + 1)));
}

std::shared_ptr<Verifier> MakeCodeVerifier(CodeOptions options) {
  return std::make_shared<CodeVerifier>(options);
}

}  // namespace rl::rewards::code
