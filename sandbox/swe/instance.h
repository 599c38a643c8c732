// SWE instances: a small repository, an issue text, a test patch and the tests that decide
// the reward (FAIL_TO_PASS must pass after the model's patch, PASS_TO_PASS must keep
// passing). One JSON object per line; the format is documented in docs/swe.md.
//
// Thread-safety: plain values and pure functions. Errors: InvalidArgument naming
// `file:line: field: message` for malformed instances; NotFound for unreadable files.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rl::swe {

struct Instance {
  std::string instance_id;
  std::string repo;         // absolute host directory of the base tree (see repo_source.h)
  std::string repo_source;  // the `repo` field resolved against the JSONL's folder: a
                            // directory, a .tar/.tar.gz/.tgz tarball or a .bundle
  std::string base_commit;  // commit checked out of a .bundle; "" otherwise
  std::string problem_statement;
  std::string test_patch;                    // unified diff applied after the model's patch
  std::vector<std::string> fail_to_pass;     // tests the fix must make pass
  std::vector<std::string> pass_to_pass;     // tests that must keep passing
  std::string test_cmd;                      // run with `bash -c` in the repository root
  std::string log_parser = "plain";          // plain | pytest | gotest | gtest
  std::vector<std::string> protected_files;  // restored to pristine before the test patch
  std::vector<std::string> relevant_files;   // files shown in the swe prompt (empty = rule)
  double time_limit_s = 30;
  int64_t memory_mb = 512;
};

// Parses one JSONL line. `base_dir` resolves a relative `repo`; a tarball or bundle repo is
// unpacked into the cache (MaterializeRepo) and `repo` names the unpacked tree.
absl::StatusOr<Instance> ParseInstanceLine(std::string_view line, std::string_view file,
                                           int line_no, const std::string& base_dir);
// Reads a whole file (blank lines skipped); duplicate ids and missing repos are errors.
absl::StatusOr<std::vector<Instance>> ReadInstances(const std::string& path);

// {instance_id → patch} from lines {"instance_id", "patch"} or {"instance_id", "response"}
// (a raw model response; the diff is extracted with ExtractPatch).
absl::StatusOr<std::map<std::string, std::string>> ReadPatches(const std::string& path);

// The unified diff in a model response: the last ```diff / ```patch fenced block, else the
// last fenced block that looks like a diff, else the response from its first "diff --git" or
// "--- " line followed by "+++ ". Returns "" when nothing looks like a diff.
std::string ExtractPatch(std::string_view response);

// Paths (relative, as in the b/ side, or the a/ side for deletions) a unified diff touches.
std::vector<std::string> PatchedPaths(std::string_view patch);

}  // namespace rl::swe
