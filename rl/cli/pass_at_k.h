// The unbiased pass@k estimator of `rl eval` (Chen et al. 2021, "Evaluating Large Language
// Models Trained on Code"): with n samples of a task of which c are correct,
//
//   pass@k = 1 − C(n − c, k) / C(n, k)
//
// the probability that a uniformly drawn k-subset of the n samples holds at least one
// correct sample. Computed as the product 1 − Π_{i=0}^{k−1} (n − c − i)/(n − i), which never
// forms a binomial coefficient (no overflow for large n). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace rl::cli {

// Requires 0 <= c <= n and 1 <= k <= n (the caller checks; out of range gives NaN).
inline double PassAtK(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) return __builtin_nan("");
  if (n - c < k) return 1.0;  // every k-subset holds a correct sample
  double none = 1.0;          // C(n − c, k) / C(n, k)
  for (int64_t i = 0; i < k; ++i) {
    none *= static_cast<double>(n - c - i) / static_cast<double>(n - i);
  }
  return 1.0 - none;
}

// The mean of PassAtK over tasks, each with n samples and correct[t] of them correct.
inline double MeanPassAtK(int64_t n, const std::vector<int64_t>& correct, int64_t k) {
  if (correct.empty()) return 0.0;
  double sum = 0;
  for (int64_t c : correct) sum += PassAtK(n, c, k);
  return sum / static_cast<double>(correct.size());
}

}  // namespace rl::cli
