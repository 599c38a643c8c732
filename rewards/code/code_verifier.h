// The built-in "code" verifier: runs a response's program (Python or C++) on stdin/stdout
// tests in the sandbox (sandbox/sandbox.h) and grades the captured output outside it
// (output_checker.h).
//
// Task metadata:
//   {"tests": [{"input": "...", "output": "..."}, ...],   // required, non-empty
//    "language": "python" | "cpp",                         // else the code fence's tag
//    "checker": "exact" | "tolerance", "abs_tol": 1e-6, "rel_tol": 1e-6,
//    "reward": "all" | "fraction",                          // all-pass (default) or pass fraction
//    "time_limit_s": 2, "memory_mb": 256}                   // per test, within the sandbox
// The program is the last fenced code block of the response (after </think>). C++ is
// compiled in the sandbox (g++ -O2 -std=c++17); a compile failure is "CE". Each test's
// verdict: OK, WA, RE, TO, MLE, OLE, SG, XX (isolate-style). A test passes only with status
// OK, exit code 0, untruncated output and matching stdout — exiting 0 early, printing a
// forged verdict or the expected answer before crashing earns nothing.
// details: {"status" (first non-OK verdict, or OK/CE), "passed", "total", "tests": [...]}.
// Errors (Status) only for malformed metadata or a machine without sandbox support.
// Thread-safe; tests of one response run in parallel on the shared SandboxPool.
#pragma once

#include <memory>

#include "rewards/verifier.h"

namespace rl::rewards::code {

struct CodeOptions {
  int sandboxes = 2;                // SandboxPool size (config sandbox.concurrency)
  double default_time_limit_s = 2;  // per test unless metadata says otherwise
  int64_t default_memory_mb = 256;
  int64_t procs = 64;
  int64_t output_kb = 1024;
  double compile_time_s = 30;
};

std::shared_ptr<Verifier> MakeCodeVerifier(CodeOptions options = {});

// The last fenced block: {language tag (lower case, may be empty), code}; nullopt if none.
std::optional<std::pair<std::string, std::string>> ExtractCodeBlock(std::string_view response);

}  // namespace rl::rewards::code
