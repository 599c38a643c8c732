// The SWE runner: scores a model's patch against an Instance by running its tests in a fresh
// sandbox (sandbox/sandbox.h). Inside one job, a fixed harness script (never a file the
// patch can reach) copies the pristine tree aside, applies the model's patch (`git apply`,
// then `patch -p1 --fuzz=3`), rejects patches that create symlinks, restores every protected
// file (the test patch's files, `protected_files`, any conftest.py / sitecustomize.py /
// usercustomize.py / *.pth) to pristine, applies the test patch and runs `test_cmd` with no
// network. Harness lines carry a random per-job nonce handed over on stdin, so the code under
// test cannot forge the patch report or the test command's exit status; per-test results are
// parsed only between the nonce markers, a test reported twice with different outcomes
// counts as failed, and any pass with a non-zero exit is rejected.
//
// Thread-safety: Run/RunMany may be called from many threads. Errors: a non-ok Status only
// when the sandbox cannot be built at all (FailedPrecondition) or the spec is invalid;
// everything the patch or tests do is an EvalResult outcome.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"

namespace rl::swe {

enum class TestStatus { kPass, kFail, kSkip, kError };
const char* TestStatusName(TestStatus s);  // "PASS", "FAIL", "SKIP", "ERROR"

// Per-test outcomes parsed from a log. Duplicate names with different outcomes become kFail
// and are listed in `conflicts`.
struct ParsedLog {
  std::map<std::string, TestStatus> tests;
  std::vector<std::string> conflicts;
};
// parser: plain ("name: PASS|FAIL|SKIP|ERROR"), pytest ("path::test PASSED|FAILED|…" or
// "PASSED path::test"), gotest ("--- PASS: Name"), gtest/ctest ("[       OK ] A.B",
// "[  FAILED  ] A.B").
ParsedLog ParseTestLog(const std::string& parser, const std::string& log);

// Outcomes, in the order the runner decides them.
//   resolved       reward 1: every FAIL_TO_PASS and PASS_TO_PASS test passed, exit 0
//   empty_patch    no diff in the response
//   patch_failed   neither git apply nor patch --fuzz applied it
//   patch_rejected the patch creates a symlink
//   timeout        the job hit its wall/cpu limit
//   crash          the harness was killed (memory, output limit, signal)
//   invalid_suite  the tests never ran or reported nothing (test patch failed, no markers,
//                  no result lines)
//   rejected       forged results: passes with a non-zero exit, conflicting duplicate lines
//   unresolved     the tests ran; some required test failed, was skipped or is missing
//   internal_error the sandbox failed
struct EvalResult {
  std::string instance_id;
  std::string outcome;
  float reward = 0.0f;
  std::string patch_method;  // "git_apply", "patch_fuzz", "failed", "empty", ""
  int test_exit_code = -1;
  std::map<std::string, std::string> tests;  // F2P and P2P name → PASS/FAIL/SKIP/ERROR/MISSING
  std::string message;
  double wall_s = 0;
  std::string log_tail;  // last 2 KB of the test log (sanitised)
};
nlohmann::json EvalResultToJson(const EvalResult& r);

struct PreparedJob {
  sandbox::JobSpec spec;
  std::string nonce;
};
// Builds the sandbox job for (instance, patch); the nonce goes into spec.stdin_data.
PreparedJob PrepareJob(const Instance& instance, const std::string& patch);
// Judges a finished job.
EvalResult Judge(const Instance& instance, const std::string& patch, const std::string& nonce,
                 const sandbox::JobResult& result);

absl::StatusOr<EvalResult> Run(const Instance& instance, const std::string& patch);
// Runs every (instance, patch) pair on the pool; results in input order.
absl::StatusOr<std::vector<EvalResult>> RunMany(
    const std::vector<std::pair<const Instance*, std::string>>& jobs, sandbox::SandboxPool& pool);

}  // namespace rl::swe
