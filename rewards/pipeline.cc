#include "rewards/pipeline.h"

#include "rewards/code/code_verifier.h"
#include "rewards/genrm/genrm_verifier.h"
#include "rewards/plugins/plugins.h"
#include "rewards/shaping.h"

namespace rl::rewards {

StatusOr<Rewards> BuildRewards(const config::RewardsSection& s, const config::SandboxSection& sb) {
  VerifierRegistry base;
  RL_RETURN_IF_ERROR(RegisterBuiltinVerifiers(base));
  code::CodeOptions co;
  co.sandboxes = static_cast<int>(sb.concurrency);
  co.default_time_limit_s = sb.cpu_s;
  co.default_memory_mb = sb.memory_mb;
  co.procs = sb.procs;
  co.output_kb = sb.output_kb;
  base.RegisterOrReplace(code::MakeCodeVerifier(co));
  if (!s.genrm.checkpoint.empty()) {
    RL_ASSIGN_OR_RETURN(auto judge, genrm::MakeGenRMVerifier(genrm::OptionsFromConfig(s.genrm)));
    base.RegisterOrReplace(std::move(judge));
  }
  RL_RETURN_IF_ERROR(LoadPlugins(s.plugins, base));
  Rewards out;
  out.registry = std::make_shared<VerifierRegistry>();
  ShapingOptions shaping{s.format_weight, s.overlong_buffer, s.overlong_penalty};
  for (const auto& name : base.Names()) {
    RL_ASSIGN_OR_RETURN(auto v, base.Get(name));
    RL_RETURN_IF_ERROR(out.registry->Register(WithShaping(v, shaping)));
  }
  PoolOptions po;
  po.kind_to_verifier = s.verifiers;
  for (const auto& name : out.registry->Names()) po.kind_to_verifier.emplace(name, name);
  po.fallback_reward = static_cast<float>(s.fallback_reward);
  po.timeout_s = s.timeout_s;
  po.concurrency = static_cast<int>(s.concurrency);
  RL_ASSIGN_OR_RETURN(out.pool, VerifierPool::Create(*out.registry, po));
  return out;
}

StatusOr<std::vector<tasks::Task>> GenerateSourceTasks(const config::TaskSourceSection& source,
                                                       int64_t count, uint64_t seed) {
  std::string where =
      "tasks.sources (" + (source.name.empty() ? source.generator : source.name) + "): ";
  if (source.generator.empty()) return absl::InvalidArgumentError(where + "no generator set");
  puzzles::GeneratorRegistry reg;
  RL_RETURN_IF_ERROR(puzzles::RegisterBuiltinGenerators(reg));
  if (source.limit > 0) count = std::min(count, source.limit);
  auto tasks = puzzles::Generate(reg, source.generator, source.params, count, seed);
  if (!tasks.ok())
    return absl::Status(tasks.status().code(), where + std::string(tasks.status().message()));
  return tasks;
}

}  // namespace rl::rewards
