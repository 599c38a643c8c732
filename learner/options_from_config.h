// LearnerOptions from a run config: algorithm (policy loss, updates_per_batch, balanced
// advantages, TIS), optimizer (AdamW, schedule, clipping), rollout.sampling.temperature
// (T = 0, greedy, scores with T = 1), run.seed, and the total number of optimiser updates
// (for the cosine schedule) = run.steps × updates_per_batch. Errors name the config field.
#pragma once

#include "learner/trainer.h"
#include "rl/config/run_config.h"
#include "rl/core/status.h"

namespace rl::learner {

StatusOr<LearnerOptions> LearnerOptionsFromConfig(const config::RunConfig& config);

}  // namespace rl::learner
