// The staged length curriculum of MiniMax-M1 §4: the generation budget grows through stages
// (published default 40K → 48K → … → 80K tokens). After each step the driver reports the
// step's perplexity of sampled tokens (under the learner at training time) and the 99th
// percentile of response length; the stage advances when, over the last `window` steps of
// the current stage, BOTH
//   - perplexity has converged: |mean(second half) − mean(first half)| / mean(first half)
//     < ppl_rel_change, and
//   - the mean of the window's p99 lengths ≥ p99_fraction × the current budget,
// or when the stage has lasted max_steps_per_stage steps (if > 0). The last stage never
// advances. Every transition carries its reason and evidence (the window's values) for the
// `curriculum_events` table. The whole state serialises to JSON for checkpoints, so a
// resumed run continues in the same stage with the same window. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::curricula {

struct LengthCurriculumOptions {
  std::vector<int64_t> stages;  // budgets; empty = one stage of fallback_budget
  int64_t start_stage = 0;
  int64_t window = 10;
  double ppl_rel_change = 0.01;
  double p99_fraction = 0.9;
  int64_t max_steps_per_stage = 0;
};

struct StageTransition {
  int64_t step = 0;
  int64_t old_stage = 0, new_stage = 0;
  int64_t old_budget = 0, new_budget = 0;
  std::string reason;         // "converged_and_near_budget" or "max_steps_per_stage"
  std::string evidence_json;  // {"perplexity":[…],"p99_length":[…],"budget":…,…}
};

class LengthCurriculum {
 public:
  LengthCurriculum(LengthCurriculumOptions options, int64_t fallback_budget);

  int64_t stage() const { return stage_; }
  int64_t num_stages() const { return static_cast<int64_t>(budgets_.size()); }
  int64_t budget() const { return budgets_[static_cast<size_t>(stage_)]; }

  // Records step's evidence; returns the transition if the stage advances after this step
  // (the new budget applies from the next step).
  std::optional<StageTransition> Observe(int64_t step, double perplexity, double p99_length);

  std::string SaveState() const;
  Status LoadState(const std::string& json);

 private:
  LengthCurriculumOptions options_;
  std::vector<int64_t> budgets_;
  int64_t stage_ = 0;
  int64_t steps_in_stage_ = 0;
  std::vector<double> ppl_, p99_;  // the current stage's values, newest last (≤ window)
};

}  // namespace rl::curricula
