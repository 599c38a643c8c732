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
//
// The `swe` task kind: LoadSweTasks turns a task source of kind swe (tasks.sources[i] with
// `path` = an SWE instances JSONL) into task records whose prompt is rendered from the
// source's prompt_template and whose metadata points the verifier at the instance.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rewards/verifier.h"
#include "rl/config/run_config.h"
#include "sandbox/swe/instance.h"

namespace rl::rewards {

std::shared_ptr<Verifier> MakeSweVerifier();

// The template used when tasks.sources[i].prompt_template is empty.
extern const char kDefaultSwePromptTemplate[];

// The files shown in the prompt, in order (docs/swe.md, "Task kind swe"): the instance's
// `relevant_files` when given, else every regular text file of the base tree except hidden
// paths (a component starting with '.'), the test patch's files and `protected_files`; files
// whose path or base name occurs in the problem statement come first, then by path.
std::vector<std::string> SwePromptFiles(const swe::Instance& instance);

// Renders `tmpl` for one instance. Placeholders: {instance_id}, {problem_statement},
// {file_list} (one path a line), {files} (each file as "=== path ===\n<content>", whole files
// while their total stays within max_file_bytes; the rest as "=== path (N bytes, omitted) ===").
// Other braces are left as they are. Errors: a relevant file that cannot be read.
StatusOr<std::string> RenderSwePrompt(const swe::Instance& instance, const std::string& tmpl,
                                      int64_t max_file_bytes);

// Task records of a swe source: id = instance_id, kind = "swe", prompt rendered,
// answer "", metadata {"instances_file": <absolute path>, "instance_id"} (what the verifier
// reads). `source.limit` caps the count. Errors name the source and file.
StatusOr<std::vector<tasks::Task>> LoadSweTasks(const config::TaskSourceSection& source);

}  // namespace rl::rewards
