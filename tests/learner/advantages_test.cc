#include "learner/advantages.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rl::learner {
namespace {

TEST(GroupAdvantages, HandComputedGroup) {
  // Group {1, 0, 0, 1}: mean 0.5, sample std sqrt(4·0.25/3) = 0.57735…
  std::vector<double> r = {1, 0, 0, 1, 2, 2, 2, 2};
  int64_t zero_var = -1;
  auto a = GroupAdvantages(r, 4, {true, 0.0}, &zero_var);
  const double s = std::sqrt(1.0 / 3.0);
  EXPECT_NEAR(a[0], 0.5 / s, 1e-12);
  EXPECT_NEAR(a[1], -0.5 / s, 1e-12);
  EXPECT_NEAR(a[3], 0.5 / s, 1e-12);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(a[i], 0.0);  // a constant group carries no signal
  EXPECT_EQ(zero_var, 1);
}

TEST(GroupAdvantages, WithoutStdNormalisationOnlyCentres) {
  std::vector<double> r = {3, 1, 2};
  auto a = GroupAdvantages(r, 3, {false, 1e-6});
  EXPECT_DOUBLE_EQ(a[0], 1.0);
  EXPECT_DOUBLE_EQ(a[1], -1.0);
  EXPECT_DOUBLE_EQ(a[2], 0.0);
}

TEST(BalancedAdvantages, HandComputedBatch) {
  // Sequences: Â = +1 with 2 tokens, −0.5 with 10 tokens, +0.5 with 4 tokens.
  // P = 2 + 2 = 4, N = 5; total 9: positives × 9/8, negatives × 9/10.
  std::vector<double> a = {1.0, -0.5, 0.5};
  std::vector<int64_t> n = {2, 10, 4};
  AdvantageMass before = BalanceAdvantages(a, n);
  EXPECT_DOUBLE_EQ(before.positive, 4.0);
  EXPECT_DOUBLE_EQ(before.negative, 5.0);
  EXPECT_DOUBLE_EQ(a[0], 9.0 / 8.0);
  EXPECT_DOUBLE_EQ(a[1], -0.5 * 9.0 / 10.0);
  EXPECT_DOUBLE_EQ(a[2], 0.5 * 9.0 / 8.0);
  AdvantageMass after = TokenAdvantageMass(a, n);
  EXPECT_NEAR(after.positive, after.negative, 1e-12);
  EXPECT_NEAR(after.positive + after.negative, 9.0, 1e-12);
}

TEST(BalancedAdvantages, OneSidedBatchUnchanged) {
  std::vector<double> a = {1.0, 2.0};
  std::vector<int64_t> n = {3, 1};
  BalanceAdvantages(a, n);
  EXPECT_EQ(a, (std::vector<double>{1.0, 2.0}));
}

}  // namespace
}  // namespace rl::learner
