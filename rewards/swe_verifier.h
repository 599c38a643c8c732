// The built-in "swe" verifier: scores a model's patch for a repository task by running the
// instance's tests in the sandbox (sandbox/swe/runner.h).
//
// Task metadata (one of):
//   {"instance": {...one instance object, see docs/swe.md...}, "base_dir": "/abs/dir"}
//   {"instances_file": "data/swe/instances.jsonl", "instance_id": "textkit-1"}
// A relative `repo` resolves against base_dir (default: the instances file's folder, else
// the current directory). The patch is extracted from the response after </think> with
// swe::ExtractPatch (```diff fences or a raw unified diff).
// Result: reward 1 / correct=true only for outcome "resolved"; details = the runner's JSON
// (outcome, patch_method, per-test outcomes, test_exit_code).
// Errors (Status) only for malformed metadata or a machine without sandbox support.
// Thread-safe: concurrent Verify calls run concurrent sandboxes (instances files are parsed
// once and cached).
#pragma once

#include <memory>

#include "rewards/verifier.h"

namespace rl::rewards {

std::shared_ptr<Verifier> MakeSweVerifier();

}  // namespace rl::rewards
