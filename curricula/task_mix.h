// The task-mix curriculum: the share of each task source per step, as a schedule of stages
// (M1: rule-verified reasoning first, then GenRM-scored general tasks blended in). A stage
// starts at `from_step` and gives a weight per source name; sources it does not name keep
// their default weight (tasks.sources[].weight). Draws are stratified (each source gets the
// floor of its expected count, the remainder is drawn by weight) and depend only on
// (seed, step), so a resumed run draws exactly what the original would have. Thread-safe
// (const after construction).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::curricula {

struct TaskMixStage {
  int64_t from_step = 0;
  std::map<std::string, double> weights;
};

class TaskMix {
 public:
  // Errors when a stage names an unknown source or all weights of a stage are zero.
  static StatusOr<TaskMix> Create(std::vector<std::string> sources,
                                  std::vector<double> default_weights,
                                  std::vector<TaskMixStage> schedule, uint64_t seed);

  // Normalised weights in force at step (one per source).
  std::vector<double> WeightsAt(int64_t step) const;
  // The source index of each of n prompts of step.
  std::vector<int> Draw(int64_t step, int n) const;
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  std::vector<std::string> sources_;
  std::vector<double> defaults_;
  std::vector<TaskMixStage> schedule_;  // sorted by from_step
  uint64_t seed_ = 0;
};

}  // namespace rl::curricula
