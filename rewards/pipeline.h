// One call from a run's config to a ready reward pipeline: built-in verifiers, the
// configured plugins (rewards.plugins, which may replace built-ins), the shaping terms
// (rewards.format_weight, overlong_buffer, overlong_penalty) wrapped around every verifier,
// the GenRM judge "genrm" when rewards.genrm.checkpoint is set (genrm/genrm_verifier.h),
// and a VerifierPool with the kind→verifier map, fallback reward, timeout and concurrency.
// A task kind without an entry in rewards.verifiers uses the verifier of the same name.
// Also the task-source side: tasks from a built-in generator (tasks.sources[i].generator).
#pragma once

#include <memory>
#include <vector>

#include "rewards/puzzles/generator.h"
#include "rewards/verifier_pool.h"
#include "rl/config/run_config.h"

namespace rl::rewards {

struct Rewards {
  std::shared_ptr<VerifierRegistry> registry;  // shaped verifiers, by name
  std::unique_ptr<VerifierPool> pool;
};

// The code verifier takes its sandbox limits from `sandbox` (cpu_s → default per-test time
// limit, memory_mb, procs, output_kb, concurrency → number of sandboxes).
StatusOr<Rewards> BuildRewards(const config::RewardsSection& section,
                               const config::SandboxSection& sandbox = {});

// `count` tasks of a generator-backed source (seeds seed, seed+1, …; source.limit caps the
// count when set). Tasks carry the generator's kind (arithmetic → "math", each puzzle family →
// its own name), which BuildRewards maps to the verifier of the same name by default.
// Errors name the source.
StatusOr<std::vector<tasks::Task>> GenerateSourceTasks(const config::TaskSourceSection& source,
                                                       int64_t count, uint64_t seed);

}  // namespace rl::rewards
