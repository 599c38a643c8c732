// `rl swe eval`: scores patches (or raw model responses) for SWE instances in the sandbox and
// prints one JSON outcome per instance, then one summary line (docs/swe.md).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rl/cli/command.h"
#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"
#include "sandbox/swe/runner.h"

namespace rl::cli {

int RunSweEval(const Args& args) {
  ArgParser p("rl swe eval",
              "Score patches for SWE instances: one JSON outcome per instance, then a summary.");
  p.Option("instances", "FILE", "instances JSONL (docs/swe.md)", "data/swe/instances.jsonl")
      .Option("patches", "FILE", "JSONL of {instance_id, patch} or {instance_id, response}")
      .Flag("gold", "evaluate the gold patches (gold.jsonl next to the instances file)")
      .Option("jobs", "N", "sandboxes run at once", "2")
      .RepeatedOption("id", "ID", "evaluate only these instances");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (p.Has("patches") == p.GetFlag("gold")) {
    std::cerr << "rl swe eval: give exactly one of --patches FILE or --gold\n";
    return 2;
  }
  auto jobs_n = p.GetInt("jobs");
  if (!jobs_n.ok() || *jobs_n < 1 || *jobs_n > 64) {
    std::cerr << "rl swe eval: --jobs must be an integer in [1, 64]\n";
    return 2;
  }
  if (Status s = sandbox::ProbeSupport(); !s.ok()) return Fail(s);
  auto insts = swe::ReadInstances(p.Get("instances"));
  if (!insts.ok()) return Fail(insts.status());
  std::string patches_file =
      p.GetFlag("gold")
          ? (std::filesystem::path(p.Get("instances")).parent_path() / "gold.jsonl").string()
          : p.Get("patches");
  auto patches = swe::ReadPatches(patches_file);
  if (!patches.ok()) return Fail(patches.status());
  std::vector<std::string> only = p.GetAll("id");
  std::vector<std::pair<const swe::Instance*, std::string>> jobs;
  for (const swe::Instance& inst : *insts) {
    if (!only.empty() && std::find(only.begin(), only.end(), inst.instance_id) == only.end())
      continue;
    auto it = patches->find(inst.instance_id);
    jobs.emplace_back(&inst, it == patches->end() ? std::string() : it->second);
  }
  for (const auto& [id, patch] : *patches) {
    bool known = false;
    for (const swe::Instance& inst : *insts) known = known || inst.instance_id == id;
    if (!known)
      std::cerr << "rl swe eval: warning: " << patches_file << ": unknown instance '" << id
                << "'\n";
  }
  sandbox::SandboxPool pool(static_cast<int>(*jobs_n));
  auto start = std::chrono::steady_clock::now();
  auto results = swe::RunMany(jobs, pool);
  if (!results.ok()) return Fail(results.status());
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::map<std::string, int> outcomes;
  int resolved = 0;
  for (const swe::EvalResult& r : *results) {
    std::cout << swe::EvalResultToJson(r).dump() << "\n";
    ++outcomes[r.outcome];
    resolved += r.outcome == "resolved";
  }
  nlohmann::json summary = {
      {"summary", true},
      {"instances", results->size()},
      {"resolved", resolved},
      {"resolved_rate", results->empty() ? 0.0 : double(resolved) / results->size()},
      {"outcomes", outcomes},
      {"wall_s", wall},
      {"instances_per_s", wall > 0 ? results->size() / wall : 0.0},
      {"jobs", *jobs_n}};
  std::cout << summary.dump() << std::endl;
  return 0;
}

}  // namespace rl::cli
