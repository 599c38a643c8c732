// Group-relative advantages (RECIPE.md "Advantages") and the GRPO variant's token-level
// balancing. Pure functions over spans; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rl::learner {

struct GroupAdvantageOptions {
  bool normalize_std = true;  // divide by the group's std (+ eps_std)
  double eps_std = 1e-6;
};

// rewards: (S) one reward per sequence, grouped consecutively by group_size (S % G == 0).
// Returns Â_i = (R_i − mean_g R) / (std_g R + eps_std), std the sample (n−1) standard
// deviation as torch.std computes it (0 for a group of one). zero_variance_groups counts
// groups whose rewards are all equal (they carry no signal).
std::vector<double> GroupAdvantages(std::span<const double> rewards, int64_t group_size,
                                    const GroupAdvantageOptions& options,
                                    int64_t* zero_variance_groups = nullptr);

struct AdvantageMass {
  double positive = 0;  // Σ over tokens with Â > 0 of Â
  double negative = 0;  // Σ over tokens with Â < 0 of |Â|
};

// Token-weighted advantage mass of a batch: seq_advantages (S), token_counts (S).
AdvantageMass TokenAdvantageMass(std::span<const double> seq_advantages,
                                 std::span<const int64_t> token_counts);

// Balanced advantage estimation (MiniMax-01 GRPO change 3): scales positive advantages by
// (P+N)/(2P) and negative ones by (P+N)/(2N) so that the token-weighted positive mass equals
// the negative mass and their total is unchanged. Returns the masses BEFORE balancing.
// A batch with no positive or no negative mass is left unchanged.
AdvantageMass BalanceAdvantages(std::span<double> seq_advantages,
                                std::span<const int64_t> token_counts);

}  // namespace rl::learner
