#include "learner/advantages.h"

#include <cmath>

#include "rl/core/logging.h"

namespace rl::learner {

std::vector<double> GroupAdvantages(std::span<const double> rewards, int64_t group_size,
                                    const GroupAdvantageOptions& options,
                                    int64_t* zero_variance_groups) {
  RL_CHECK(group_size > 0 && static_cast<int64_t>(rewards.size()) % group_size == 0)
      << rewards.size() << " rewards do not split into groups of " << group_size;
  std::vector<double> adv(rewards.size());
  int64_t zero_var = 0;
  for (size_t g = 0; g < rewards.size(); g += static_cast<size_t>(group_size)) {
    double mean = 0;
    for (int64_t i = 0; i < group_size; ++i) mean += rewards[g + i];
    mean /= static_cast<double>(group_size);
    double ss = 0;
    bool all_equal = true;
    for (int64_t i = 0; i < group_size; ++i) {
      ss += (rewards[g + i] - mean) * (rewards[g + i] - mean);
      all_equal = all_equal && rewards[g + i] == rewards[g];
    }
    zero_var += all_equal ? 1 : 0;
    double std = group_size > 1 ? std::sqrt(ss / static_cast<double>(group_size - 1)) : 0.0;
    double denom = options.normalize_std ? std + options.eps_std : 1.0;
    for (int64_t i = 0; i < group_size; ++i) {
      // A constant group has no signal: 0, even with eps_std = 0 (not 0/0).
      adv[g + i] = all_equal ? 0.0 : (rewards[g + i] - mean) / denom;
    }
  }
  if (zero_variance_groups) *zero_variance_groups = zero_var;
  return adv;
}

AdvantageMass TokenAdvantageMass(std::span<const double> seq_advantages,
                                 std::span<const int64_t> token_counts) {
  RL_CHECK(seq_advantages.size() == token_counts.size());
  AdvantageMass m;
  for (size_t i = 0; i < seq_advantages.size(); ++i) {
    double a = seq_advantages[i] * static_cast<double>(token_counts[i]);
    if (a > 0) m.positive += a;
    if (a < 0) m.negative -= a;
  }
  return m;
}

AdvantageMass BalanceAdvantages(std::span<double> seq_advantages,
                                std::span<const int64_t> token_counts) {
  AdvantageMass before = TokenAdvantageMass(seq_advantages, token_counts);
  if (before.positive <= 0 || before.negative <= 0) return before;
  double total = before.positive + before.negative;
  double pos_scale = total / (2 * before.positive);
  double neg_scale = total / (2 * before.negative);
  for (double& a : seq_advantages) a *= a > 0 ? pos_scale : neg_scale;
  return before;
}

}  // namespace rl::learner
