#include "rollout/sampling.h"

#include "rl/kernels/log_softmax.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace rl::rollout {
namespace {

// Naive reference of the truncated sampling distribution, in double, by full sorting.
std::vector<double> ReferenceDistribution(const std::vector<float>& z, const SamplingParams& p) {
  const int n = p.vocab_limit > 0 ? std::min<int>(static_cast<int>(z.size()), static_cast<int>(p.vocab_limit))
                                   : static_cast<int>(z.size());
  std::vector<double> prob(z.size(), 0.0);
  double mx = -INFINITY;
  for (int i = 0; i < n; ++i) mx = std::max(mx, z[i] / p.temperature);
  for (int i = 0; i < n; ++i) prob[i] = std::exp(z[i] / p.temperature - mx);
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return prob[a] > prob[b]; });
  std::vector<char> keep(z.size(), 0);
  int k = p.top_k > 0 ? std::min<int>(n, static_cast<int>(p.top_k)) : n;
  double mass = 0;
  for (int i = 0; i < k; ++i) mass += prob[ids[i]];
  int kept = 0;
  double cum = 0;
  for (int i = 0; i < k; ++i) {
    ++kept;
    cum += prob[ids[i]] / mass;
    if (cum >= p.top_p) break;
  }
  for (int i = 0; i < kept; ++i) {
    if (i == 0 || prob[ids[i]] >= p.min_p * prob[ids[0]]) keep[ids[i]] = 1;
  }
  std::vector<double> out(z.size(), 0.0);
  double total = 0;
  for (size_t i = 0; i < z.size(); ++i) total += keep[i] ? prob[i] : 0;
  for (size_t i = 0; i < z.size(); ++i) out[i] = keep[i] ? prob[i] / total : 0;
  return out;
}

double ReferenceLogSoftmax(const std::vector<float>& z, double t, int limit, int token) {
  double s = 0;
  for (int i = 0; i < limit; ++i) s += std::exp(static_cast<double>(z[i]) / t);
  return static_cast<double>(z[token]) / t - std::log(s);
}

TEST(Sampling, EmpiricalFrequenciesMatchTruncatedDistribution) {
  const std::vector<float> z = {1.0f, 2.5f, 0.3f, 2.4f, -1.0f, 1.9f, 0.0f, 3.0f, 2.9f, -0.5f};
  std::vector<SamplingParams> configs = {
      {1.0, 1.0, 0, 0.0, 0}, {0.7, 1.0, 3, 0.0, 0},  {1.3, 0.8, 0, 0.0, 0},
      {1.0, 1.0, 0, 0.2, 0}, {0.9, 0.9, 5, 0.05, 0}, {1.0, 0.95, 0, 0.0, 8},
  };
  const int kDraws = 100000;
  Sampler sampler(10);
  for (size_t c = 0; c < configs.size(); ++c) {
    const auto& p = configs[c];
    ASSERT_TRUE(ValidateSamplingParams(p).ok());
    std::vector<double> want = ReferenceDistribution(z, p);
    std::vector<int> count(z.size(), 0);
    SequenceRng rng(42, c);
    const int limit = p.vocab_limit > 0 ? static_cast<int>(p.vocab_limit) : 10;
    for (int d = 0; d < kDraws; ++d) {
      auto s = sampler.Sample(z, p, rng);
      ASSERT_TRUE(s.ok());
      ++count[s->token];
      if (d < 50) {  // the log-prob is the FULL softmax at T, whatever was truncated
        EXPECT_NEAR(s->logprob, ReferenceLogSoftmax(z, p.temperature, limit, s->token), 1e-5);
      }
    }
    for (size_t i = 0; i < z.size(); ++i) {
      double f = static_cast<double>(count[i]) / kDraws;
      if (want[i] == 0) {
        EXPECT_EQ(count[i], 0) << "config " << c << " token " << i;
      } else {
        double sd = std::sqrt(want[i] * (1 - want[i]) / kDraws);
        EXPECT_NEAR(f, want[i], 5 * sd + 1e-4) << "config " << c << " token " << i;
      }
    }
  }
}

TEST(Sampling, ExactLogProbsHandComputed) {
  // z = {1, 2, 3}, T = 0.5, top_k = 1 picks token 2; log p = 6 − log(e² + e⁴ + e⁶).
  const std::vector<float> z = {1.0f, 2.0f, 3.0f};
  Sampler s;
  SequenceRng rng(1, 1);
  auto r = s.Sample(z, {0.5, 1.0, 1, 0.0, 0}, rng);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->token, 2);
  EXPECT_NEAR(r->logprob, 6.0 - std::log(std::exp(2.0) + std::exp(4.0) + std::exp(6.0)), 1e-6);
  // Greedy (T = 0): argmax, log-prob at T = 1.
  auto g = s.Sample(z, {0.0, 1.0, 0, 0.0, 0}, rng);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->token, 2);
  EXPECT_NEAR(g->logprob, 3.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  EXPECT_EQ(rng.counter(), 1u);  // greedy draws nothing
  // Ties in greedy go to the lowest id.
  auto t = s.Sample(std::vector<float>{0.5f, 4.0f, 4.0f}, {0.0, 1.0, 0, 0.0, 0}, rng);
  EXPECT_EQ(t->token, 1);
  EXPECT_NEAR(FullLogProb(z, 2.0, 0, 0), 0.5 - std::log(std::exp(0.5) + std::exp(1.0) + std::exp(1.5)), 1e-12);
}

TEST(Sampling, VocabLimitMasksIdsAndTheSoftmax) {
  const std::vector<float> z = {0.0f, 1.0f, 50.0f, 60.0f};
  Sampler s;
  SequenceRng rng(3, 0);
  for (int i = 0; i < 1000; ++i) {
    auto r = s.Sample(z, {1.0, 1.0, 0, 0.0, 2}, rng);
    ASSERT_TRUE(r.ok());
    ASSERT_LT(r->token, 2);
    EXPECT_NEAR(r->logprob, ReferenceLogSoftmax(z, 1.0, 2, r->token), 1e-6);
  }
  auto g = s.Sample(z, {0.0, 1.0, 0, 0.0, 3}, rng);
  EXPECT_EQ(g->token, 2);
}

TEST(Sampling, NonFiniteLogits) {
  const float inf = INFINITY;
  Sampler s;
  SequenceRng rng(3, 0);
  std::vector<float> z = {-inf, NAN, 1.0f, -inf};
  for (int i = 0; i < 100; ++i) {
    auto r = s.Sample(z, {1.0, 0.5, 0, 0.1, 0}, rng);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->token, 2);
    EXPECT_NEAR(r->logprob, 0.0, 1e-7);
  }
  std::vector<float> none = {-inf, NAN};
  EXPECT_EQ(s.Sample(none, {}, rng).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Sampling, SeededPerSequenceReproducible) {
  std::mt19937 g(5);
  std::normal_distribution<float> n;
  std::vector<float> z(64);
  for (auto& x : z) x = 2 * n(g);
  SamplingParams p{0.8, 0.95, 20, 0.01, 0};
  auto run = [&](uint64_t seed, uint64_t seq, int steps) {
    Sampler s(64);
    SequenceRng rng(seed, seq);
    std::vector<int32_t> out;
    for (int i = 0; i < steps; ++i) out.push_back(s.Sample(z, p, rng)->token);
    return out;
  };
  EXPECT_EQ(run(7, 3, 200), run(7, 3, 200));
  EXPECT_NE(run(7, 3, 200), run(7, 4, 200));
  EXPECT_NE(run(7, 3, 200), run(8, 3, 200));
  // Resuming from the counter continues the same stream.
  SequenceRng a(9, 2);
  for (int i = 0; i < 10; ++i) a.NextU64();
  SequenceRng b(9, 2, a.counter());
  EXPECT_EQ(a.NextU64(), b.NextU64());
  // Uniforms look uniform: mean and variance of 1e5 draws.
  SequenceRng u(1, 0);
  double sum = 0, sq = 0;
  for (int i = 0; i < 100000; ++i) {
    double x = u.NextUniform();
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / 1e5, 0.5, 0.005);
  EXPECT_NEAR(sq / 1e5 - (sum / 1e5) * (sum / 1e5), 1.0 / 12, 0.003);
}

TEST(Sampling, LogProbIsTheLearnersKernelBitForBit) {
  std::mt19937 g(11);
  std::normal_distribution<float> n;
  std::vector<float> z(300);
  for (auto& x : z) x = 3 * n(g);
  Sampler s(300);
  SequenceRng rng(2, 2);
  for (double t : {0.6, 1.0, 1.7}) {
    for (int i = 0; i < 20; ++i) {
      auto r = s.Sample(z, {t, 0.9, 40, 0.0, 250}, rng);
      ASSERT_TRUE(r.ok());
      ASSERT_LT(r->token, 250);
      EXPECT_EQ(r->logprob, kernels::TokenLogProb(z.data(), 250, static_cast<float>(t), r->token));
    }
  }
}

TEST(Sampling, ValidateParams) {
  EXPECT_TRUE(ValidateSamplingParams({}).ok());
  EXPECT_FALSE(ValidateSamplingParams({-1.0, 1.0, 0, 0.0, 0}).ok());
  EXPECT_FALSE(ValidateSamplingParams({1.0, 0.0, 0, 0.0, 0}).ok());
  EXPECT_FALSE(ValidateSamplingParams({1.0, 1.5, 0, 0.0, 0}).ok());
  EXPECT_FALSE(ValidateSamplingParams({1.0, 1.0, -2, 0.0, 0}).ok());
  EXPECT_FALSE(ValidateSamplingParams({1.0, 1.0, 0, 1.5, 0}).ok());
  EXPECT_FALSE(ValidateSamplingParams({NAN, 1.0, 0, 0.0, 0}).ok());
}

}  // namespace
}  // namespace rl::rollout
