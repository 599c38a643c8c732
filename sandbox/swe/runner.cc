#include "sandbox/swe/runner.h"

#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace rl::swe {
namespace {

// The harness: fixed text (argv of bash), so no patch can alter it. $1.. are unused; the
// nonce arrives on stdin and lives only in this shell's memory.
constexpr const char* kHarness = R"SH(set -u
IFS= read -r N || exit 97
H=/tmp/.swe_h
P=/tmp/.swe_pristine
mkdir -p "$H" && mv /work/.swe_harness/* "$H"/ && rmdir /work/.swe_harness || { echo "@@$N HARNESS setup_failed"; exit 0; }
cp -a /work "$P" || { echo "@@$N HARNESS copy_failed"; exit 0; }
cd /work || exit 98
if [ ! -s "$H/model.patch" ]; then
  echo "@@$N PATCH empty"; exit 0
elif git apply --whitespace=nowarn "$H/model.patch" >"$H/apply.log" 2>&1; then
  echo "@@$N PATCH git_apply"
elif patch -p1 --fuzz=3 --batch --forward --no-backup-if-mismatch -r - --dry-run -i "$H/model.patch" >>"$H/apply.log" 2>&1 &&
     patch -p1 --fuzz=3 --batch --forward --no-backup-if-mismatch -r - -i "$H/model.patch" >>"$H/apply.log" 2>&1; then
  echo "@@$N PATCH patch_fuzz"
else
  echo "@@$N PATCH failed"; tail -c 1500 "$H/apply.log"; exit 0
fi
if [ "$(find . -type l | sort)" != "$(cd "$P" && find . -type l | sort)" ]; then
  echo "@@$N PATCH rejected_symlink"; exit 0
fi
restore() {
  rm -rf -- "/work/$1"
  if [ -e "$P/$1" ] || [ -L "$P/$1" ]; then
    mkdir -p -- "$(dirname -- "/work/$1")" && cp -a -- "$P/$1" "/work/$1"
  fi
}
while IFS= read -r f; do [ -n "$f" ] && restore "$f"; done < "$H/protected"
{ find . \( -name conftest.py -o -name sitecustomize.py -o -name usercustomize.py -o -name '*.pth' \) -print
  (cd "$P" && find . \( -name conftest.py -o -name sitecustomize.py -o -name usercustomize.py -o -name '*.pth' \) -print)
} | sort -u | while IFS= read -r f; do restore "$f"; done
if [ -s "$H/test.patch" ]; then
  git apply --whitespace=nowarn "$H/test.patch" >"$H/tp.log" 2>&1 || { echo "@@$N TESTPATCH failed"; tail -c 1500 "$H/tp.log"; exit 0; }
fi
echo "@@$N BEGIN"
bash -c "$(cat "$H/test_cmd")" </dev/null 2>&1
rc=$?
echo "@@$N END $rc"
exit 0
)SH";

std::string NewNonce() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  for (int i = 0; i < 2; ++i) {
    snprintf(buf + 16 * i, 17, "%016llx", static_cast<unsigned long long>(rng()));
  }
  return std::string(buf, 32);
}

std::string Tail(const std::string& s, size_t n) {
  return sandbox::SanitizeUtf8(s.size() <= n ? s : s.substr(s.size() - n));
}

}  // namespace

nlohmann::json EvalResultToJson(const EvalResult& r) {
  nlohmann::json j = {{"instance_id", r.instance_id},
                      {"outcome", r.outcome},
                      {"reward", r.reward},
                      {"patch_method", r.patch_method},
                      {"test_exit_code", r.test_exit_code},
                      {"tests", r.tests},
                      {"wall_s", r.wall_s}};
  if (!r.message.empty()) j["message"] = r.message;
  return j;
}

PreparedJob PrepareJob(const Instance& inst, const std::string& patch) {
  PreparedJob job;
  job.nonce = NewNonce();
  sandbox::JobSpec& s = job.spec;
  s.argv = {"bash", "-c", kHarness, "swe-harness"};
  s.stdin_data = job.nonce + "\n";
  s.work_dir_source = inst.repo;
  std::string protected_list;
  for (const std::string& p : PatchedPaths(inst.test_patch)) protected_list += p + "\n";
  for (const std::string& p : inst.protected_files) protected_list += p + "\n";
  s.files[".swe_harness/model.patch"] = patch;
  s.files[".swe_harness/test.patch"] = inst.test_patch;
  s.files[".swe_harness/protected"] = protected_list;
  s.files[".swe_harness/test_cmd"] = inst.test_cmd;
  s.limits.cpu_s = inst.time_limit_s;
  s.limits.wall_s = inst.time_limit_s + 10;
  s.limits.memory_mb = inst.memory_mb;
  s.limits.procs = 128;
  s.limits.open_files = 256;
  s.limits.output_kb = 1024;
  s.limits.disk_mb = 128;
  return job;
}

EvalResult Judge(const Instance& inst, const std::string& patch, const std::string& nonce,
                 const sandbox::JobResult& res) {
  EvalResult r;
  r.instance_id = inst.instance_id;
  r.wall_s = res.wall_s;
  const std::string marker = "@@" + nonce + " ";
  std::string log;
  bool begun = false, ended = false, test_patch_failed = false;
  std::istringstream in(res.stdout_data);
  std::string line;
  std::string harness_error;
  while (std::getline(in, line)) {
    if (line.rfind(marker, 0) == 0) {
      std::string rest = line.substr(marker.size());
      if (rest.rfind("PATCH ", 0) == 0)
        r.patch_method = rest.substr(6);
      else if (rest == "TESTPATCH failed")
        test_patch_failed = true;
      else if (rest.rfind("HARNESS ", 0) == 0)
        harness_error = rest.substr(8);
      else if (rest == "BEGIN" && !begun)
        begun = true;
      else if (rest.rfind("END ", 0) == 0 && begun && !ended) {
        ended = true;
        r.test_exit_code = std::atoi(rest.c_str() + 4);
      }
      continue;
    }
    if (begun && !ended) log += line + "\n";
  }
  r.log_tail = Tail(log, 2048);
  for (const std::string& t : inst.fail_to_pass) r.tests[t] = "MISSING";
  for (const std::string& t : inst.pass_to_pass) r.tests[t] = "MISSING";
  auto finish = [&](const char* outcome, std::string msg) {
    r.outcome = outcome;
    r.message = std::move(msg);
    return r;
  };
  if (patch.find_first_not_of(" \t\r\n") == std::string::npos) return finish("empty_patch", "");
  if (res.status == sandbox::Outcome::kInternalError) return finish("internal_error", res.message);
  if (!harness_error.empty()) return finish("internal_error", "harness: " + harness_error);
  if (r.patch_method == "empty") return finish("empty_patch", "");
  if (r.patch_method == "failed") return finish("patch_failed", Tail(res.stdout_data, 1500));
  if (r.patch_method == "rejected_symlink")
    return finish("patch_rejected", "the patch creates a symbolic link");
  if (res.status == sandbox::Outcome::kTimeout) return finish("timeout", res.message);
  if (res.status != sandbox::Outcome::kOk)
    return finish("crash", absl::StrCat(sandbox::OutcomeName(res.status), ": ", res.message));
  if (r.patch_method.empty()) return finish("internal_error", "the harness reported nothing");
  if (test_patch_failed) return finish("invalid_suite", "the test patch did not apply");
  if (!begun || !ended)
    return finish("invalid_suite",
                  "the test command did not complete: " + Tail(res.stderr_data, 600));
  if (r.test_exit_code == 128 + 24 || r.test_exit_code == 24)  // SIGXCPU: RLIMIT_CPU
    return finish("timeout", "a test process exceeded its CPU limit");
  ParsedLog parsed = ParseTestLog(inst.log_parser, log);
  if (parsed.tests.empty()) return finish("invalid_suite", "no test results in the log");
  bool all_pass = true;
  for (auto& [name, st] : r.tests) {
    auto it = parsed.tests.find(name);
    if (it != parsed.tests.end()) st = TestStatusName(it->second);
    if (st != "PASS") all_pass = false;
  }
  for (const std::string& c : parsed.conflicts) {
    if (r.tests.count(c))
      return finish("rejected", absl::StrCat("test '", c, "' reported with different outcomes"));
  }
  if (all_pass && r.test_exit_code != 0)
    return finish("rejected", absl::StrCat("all required tests pass but the test command exited ",
                                           r.test_exit_code));
  if (!all_pass) return finish("unresolved", "");
  r.reward = 1.0f;
  return finish("resolved", "");
}

absl::StatusOr<EvalResult> Run(const Instance& instance, const std::string& patch) {
  PreparedJob job = PrepareJob(instance, patch);
  auto res = sandbox::RunJob(job.spec);
  if (!res.ok()) return res.status();
  return Judge(instance, patch, job.nonce, *res);
}

absl::StatusOr<std::vector<EvalResult>> RunMany(
    const std::vector<std::pair<const Instance*, std::string>>& jobs, sandbox::SandboxPool& pool) {
  std::vector<std::string> nonces;
  std::vector<std::future<absl::StatusOr<sandbox::JobResult>>> futures;
  for (const auto& [inst, patch] : jobs) {
    PreparedJob job = PrepareJob(*inst, patch);
    nonces.push_back(job.nonce);
    futures.push_back(pool.Submit(std::move(job.spec)));
  }
  std::vector<EvalResult> out;
  absl::Status first_error;
  for (size_t i = 0; i < futures.size(); ++i) {
    auto res = futures[i].get();
    if (!res.ok()) {
      if (first_error.ok()) first_error = res.status();
      continue;
    }
    out.push_back(Judge(*jobs[i].first, jobs[i].second, nonces[i], *res));
  }
  if (!first_error.ok()) return first_error;
  return out;
}

}  // namespace rl::swe
