#include "curricula/task_mix.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace rl::curricula {

StatusOr<TaskMix> TaskMix::Create(std::vector<std::string> sources,
                                  std::vector<double> default_weights,
                                  std::vector<TaskMixStage> schedule, uint64_t seed) {
  if (sources.empty()) return absl::InvalidArgumentError("task mix: no task sources");
  if (sources.size() != default_weights.size()) {
    return absl::InvalidArgumentError("task mix: one default weight per source expected");
  }
  std::stable_sort(
      schedule.begin(), schedule.end(),
      [](const TaskMixStage& a, const TaskMixStage& b) { return a.from_step < b.from_step; });
  TaskMix mix;
  mix.sources_ = std::move(sources);
  mix.defaults_ = std::move(default_weights);
  mix.schedule_ = std::move(schedule);
  mix.seed_ = seed;
  for (size_t s = 0; s < mix.schedule_.size(); ++s) {
    for (const auto& [name, w] : mix.schedule_[s].weights) {
      if (std::find(mix.sources_.begin(), mix.sources_.end(), name) == mix.sources_.end()) {
        return absl::InvalidArgumentError("curriculum.task_mix[" + std::to_string(s) +
                                          "].weights: unknown task source '" + name + "'");
      }
    }
  }
  // Every stage (and the defaults) must leave some weight.
  std::vector<int64_t> starts = {0};
  for (const auto& st : mix.schedule_) starts.push_back(st.from_step);
  for (int64_t step : starts) {
    double total = 0;
    for (double w : mix.WeightsAt(step)) total += w;
    if (!(total > 0)) {
      return absl::InvalidArgumentError("task mix: all weights are zero from step " +
                                        std::to_string(step));
    }
  }
  return mix;
}

std::vector<double> TaskMix::WeightsAt(int64_t step) const {
  std::vector<double> w = defaults_;
  const TaskMixStage* active = nullptr;
  for (const auto& st : schedule_) {
    if (st.from_step <= step) active = &st;
  }
  if (active) {
    for (size_t i = 0; i < sources_.size(); ++i) {
      auto it = active->weights.find(sources_[i]);
      if (it != active->weights.end()) w[i] = it->second;
    }
  }
  double total = 0;
  for (double x : w) total += x;
  if (total > 0) {
    for (double& x : w) x /= total;
  }
  return w;
}

std::vector<int> TaskMix::Draw(int64_t step, int n) const {
  std::vector<double> w = WeightsAt(step);
  std::vector<int> out;
  std::vector<double> remainder(w.size());
  int assigned = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    double expected = w[i] * n;
    int whole = static_cast<int>(std::floor(expected + 1e-9));
    remainder[i] = std::max(0.0, expected - whole);
    for (int k = 0; k < whole; ++k) out.push_back(static_cast<int>(i));
    assigned += whole;
  }
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32),
                    static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32), 0x7a5cu};
  std::mt19937_64 rng(seq);
  for (; assigned < n; ++assigned) {
    double total = 0;
    for (double r : remainder) total += r;
    std::discrete_distribution<int> pick(remainder.begin(), remainder.end());
    int i = total > 0 ? pick(rng) : std::discrete_distribution<int>(w.begin(), w.end())(rng);
    out.push_back(i);
    remainder[static_cast<size_t>(i)] = 0;
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

}  // namespace rl::curricula
