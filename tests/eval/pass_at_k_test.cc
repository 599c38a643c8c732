// The unbiased pass@k estimator against a naive enumeration of every k-subset of n samples.
#include "rl/cli/pass_at_k.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rl::cli {
namespace {

// Fraction of the k-subsets of {0..n−1} that contain one of the first c indices (the correct
// samples), by walking every subset as a bit mask.
double NaivePassAtK(int n, int c, int k) {
  int64_t subsets = 0, hit = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != k) continue;
    ++subsets;
    hit += (mask & ((1u << c) - 1)) != 0 ? 1 : 0;
  }
  return static_cast<double>(hit) / static_cast<double>(subsets);
}

TEST(PassAtK, MatchesNaiveEnumerationOverSubsets) {
  for (int n = 1; n <= 12; ++n) {
    for (int c = 0; c <= n; ++c) {
      for (int k = 1; k <= n; ++k) {
        EXPECT_NEAR(PassAtK(n, c, k), NaivePassAtK(n, c, k), 1e-12)
            << "n=" << n << " c=" << c << " k=" << k;
      }
    }
  }
}

TEST(PassAtK, HandComputedCases) {
  EXPECT_DOUBLE_EQ(PassAtK(10, 3, 1), 0.3);          // pass@1 = c/n
  EXPECT_DOUBLE_EQ(PassAtK(4, 1, 2), 0.5);           // 1 − C(3,2)/C(4,2) = 1 − 3/6
  EXPECT_DOUBLE_EQ(PassAtK(5, 2, 2), 1 - 3.0 / 10);  // 1 − C(3,2)/C(5,2)
  EXPECT_DOUBLE_EQ(PassAtK(5, 0, 5), 0.0);
  EXPECT_DOUBLE_EQ(PassAtK(5, 3, 3), 1.0);  // n − c < k
  EXPECT_TRUE(std::isnan(PassAtK(3, 1, 4)));
  EXPECT_TRUE(std::isnan(PassAtK(3, 4, 1)));
}

TEST(PassAtK, LargeNDoesNotOverflow) {
  // 1 − C(900, 100)/C(1000, 100): the binomials overflow a double, the product does not.
  double p = PassAtK(1000, 100, 100);
  double log_none = 0;
  for (int i = 0; i < 100; ++i) log_none += std::log((900.0 - i) / (1000.0 - i));
  EXPECT_NEAR(p, 1 - std::exp(log_none), 1e-12);
  EXPECT_GT(p, 0.99);
}

TEST(PassAtK, MeanOverTasks) {
  EXPECT_DOUBLE_EQ(MeanPassAtK(4, {0, 1, 4}, 2), (0.0 + 0.5 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(MeanPassAtK(4, {}, 2), 0.0);
}

}  // namespace
}  // namespace rl::cli
