// Tests that pin the meaning of the policy losses, each against an independent computation.
#include "learner/policy_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace rl::learner {
namespace {

// A packed batch: 3 sequences of 2, 3 and 1 tokens.
struct Batch {
  std::vector<double> logp, old_logp, adv, ref;
  std::vector<int64_t> offsets = {0, 2, 5, 6};
  PolicyLossInput Input() const {
    PolicyLossInput in;
    in.logp = logp;
    in.old_logp = old_logp;
    in.advantages = adv;
    in.seq_offsets = offsets;
    in.ref_logp = ref;
    return in;
  }
};

// Ratios r_t chosen to sit inside and outside the trust region [0.8, 1.2] on both sides.
Batch MakeBatch() {
  Batch b;
  std::vector<double> r = {1.0, 1.5, 0.5, 1.1, 0.9, 1.3};
  b.adv = {1.0, 1.0, -1.0, -1.0, 0.5, -2.0};
  for (size_t t = 0; t < r.size(); ++t) {
    b.old_logp.push_back(-1.0 - 0.1 * t);
    b.logp.push_back(b.old_logp.back() + std::log(r[t]));
    b.ref.push_back(b.old_logp.back() + 0.05);
  }
  return b;
}

PolicyLossOptions Cispo(double eps) {
  PolicyLossOptions o;
  o.kind = PolicyLossKind::kCispo;
  o.eps_low = eps;
  o.eps_high = eps;
  return o;
}

PolicyLossOptions Grpo(double eps) {
  PolicyLossOptions o;
  o.kind = PolicyLossKind::kGrpo;
  o.clip_eps = eps;
  o.dual_clip_c = 1e30;
  return o;
}

TEST(Cispo, OnPolicyEqualsTokenNormalisedReinforce) {
  // r = 1: the gradient w.r.t. the logits is −(Â/(N·T))·(onehot − softmax(z/T)). Reference:
  // central finite differences of the REINFORCE loss −(1/N) Σ_t Â_t log softmax(z_t/T)[a_t].
  const int V = 5, N = 3;
  const double T = 0.7;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0, 1);
  std::vector<std::vector<float>> z(N, std::vector<float>(V));
  for (auto& row : z)
    for (auto& x : row) x = normal(rng);
  std::vector<int64_t> tokens = {1, 4, 0};
  std::vector<double> adv = {0.7, -1.3, 0.2};
  auto logsoftmax = [&](const std::vector<float>& row, int64_t a) {
    double m = -1e300, s = 0;
    for (float x : row) m = std::max(m, x / T);
    for (float x : row) s += std::exp(x / T - m);
    return row[a] / T - m - std::log(s);
  };
  std::vector<double> logp(N);
  for (int t = 0; t < N; ++t) logp[t] = logsoftmax(z[t], tokens[t]);
  std::vector<int64_t> offsets = {0, 2, 3};
  PolicyLossInput in;
  in.logp = logp;
  in.old_logp = logp;  // on-policy
  in.advantages = adv;
  in.seq_offsets = offsets;
  PolicyLossOutput out = ComputePolicyLoss(in, Cispo(0.2));
  for (int t = 0; t < N; ++t) {
    std::vector<float> dz(V);
    LogitGradient(z[t], tokens[t], T, out.dlogp[t], dz);
    for (int v = 0; v < V; ++v) {
      const float h = 1e-3f;
      auto loss = [&](float delta) {
        auto zz = z[t];
        zz[v] += delta;
        return -adv[t] * logsoftmax(zz, tokens[t]) / N;
      };
      double fd = (loss(h) - loss(-h)) / (2 * h);
      EXPECT_NEAR(dz[v], fd, 2e-4) << "t=" << t << " v=" << v;
    }
  }
  EXPECT_DOUBLE_EQ(out.metrics["train/is_weight_mean"], 1.0);
}

TEST(Cispo, GradientIsClippedWeightTimesAdvantage) {
  Batch b = MakeBatch();
  PolicyLossOutput out = ComputePolicyLoss(b.Input(), Cispo(0.2));
  const double N = 6;
  for (size_t t = 0; t < 6; ++t) {
    double r = std::exp(b.logp[t] - b.old_logp[t]);
    double w = std::min(std::max(r, 0.8), 1.2);
    EXPECT_NEAR(out.dlogp[t], -w * b.adv[t] / N, 1e-12) << t;
  }
}

TEST(Cispo, OutOfRegionTokensKeepGradientUnlikePpo) {
  Batch b = MakeBatch();
  PolicyLossOutput cispo = ComputePolicyLoss(b.Input(), Cispo(0.2));
  PolicyLossOutput ppo = ComputePolicyLoss(b.Input(), Grpo(0.2));
  // t=1: Â>0, r=1.5 > 1.2 and t=2: Â<0, r=0.5 < 0.8 — both pushed out in the direction of
  // their advantage. CISPO keeps their gradient; PPO clipping zeroes it.
  for (size_t t : {1u, 2u}) {
    EXPECT_NE(cispo.dlogp[t], 0.0) << t;
    EXPECT_EQ(ppo.dlogp[t], 0.0) << t;
  }
  // Inside the region both agree.
  for (size_t t : {0u, 3u, 4u}) EXPECT_NEAR(cispo.dlogp[t], ppo.dlogp[t], 1e-12) << t;
  EXPECT_NEAR(cispo.metrics["train/clip_frac_high"], 2.0 / 6, 1e-12);  // r = 1.5, 1.3
  EXPECT_NEAR(cispo.metrics["train/clip_frac_low"], 1.0 / 6, 1e-12);   // r = 0.5
}

TEST(Cispo, PpoMaskEqualsPpoClipGradientEverywhere) {
  Batch b = MakeBatch();
  PolicyLossOptions o = Cispo(0.2);
  o.token_mask = TokenMask::kPpo;
  PolicyLossOutput cispo = ComputePolicyLoss(b.Input(), o);
  PolicyLossOutput ppo = ComputePolicyLoss(b.Input(), Grpo(0.2));
  for (size_t t = 0; t < 6; ++t) EXPECT_NEAR(cispo.dlogp[t], ppo.dlogp[t], 1e-12) << t;
}

TEST(Cispo, M1MaskGivesPpoTokenSet) {
  Batch b = MakeBatch();
  PolicyLossOptions o = Cispo(0.2);
  o.token_mask = TokenMask::kM1;
  PolicyLossOutput m1 = ComputePolicyLoss(b.Input(), o);
  PolicyLossOutput ppo = ComputePolicyLoss(b.Input(), Grpo(0.2));
  for (size_t t = 0; t < 6; ++t) {
    EXPECT_EQ(m1.dlogp[t] != 0.0, ppo.dlogp[t] != 0.0) << t;
    double r = std::exp(b.logp[t] - b.old_logp[t]);
    if (r >= 0.8 && r <= 1.2) {
      EXPECT_NEAR(m1.dlogp[t], ppo.dlogp[t], 1e-12) << t;
    }
  }
  // t=5: Â<0 and r=1.3 > 1.2 is against its advantage: kept by both, weight clipped by M1.
  EXPECT_NEAR(m1.dlogp[5], -1.2 * -2.0 / 6, 1e-12);
}

TEST(Grpo, UnboundedClipsWithoutKlEqualTheUnclippedObjective) {
  Batch b = MakeBatch();
  PolicyLossOptions o = Grpo(1e9);
  o.dual_clip_c = 1e30;
  PolicyLossOutput out = ComputePolicyLoss(b.Input(), o);
  // Reference: loss(logp) = −(1/N) Σ exp(logp − old)·Â, differentiated by central differences.
  auto naive = [&](const std::vector<double>& logp) {
    double s = 0;
    for (size_t t = 0; t < 6; ++t) s -= std::exp(logp[t] - b.old_logp[t]) * b.adv[t];
    return s / 6;
  };
  EXPECT_NEAR(out.loss, naive(b.logp), 1e-12);
  for (size_t t = 0; t < 6; ++t) {
    auto plus = b.logp, minus = b.logp;
    plus[t] += 1e-6;
    minus[t] -= 1e-6;
    EXPECT_NEAR(out.dlogp[t], (naive(plus) - naive(minus)) / 2e-6, 1e-8) << t;
  }
}

TEST(Grpo, DualClipDropsNegativeAdvantageTokensWithHugeRatio) {
  Batch b = MakeBatch();
  b.logp[3] = b.old_logp[3] + std::log(5.0);  // Â = −1, r = 5 > c = 3
  PolicyLossOptions o = Grpo(0.2);
  o.dual_clip_c = 3.0;
  PolicyLossOutput out = ComputePolicyLoss(b.Input(), o);
  EXPECT_EQ(out.dlogp[3], 0.0);
  EXPECT_NEAR(out.metrics["train/dual_clip_frac"], 1.0 / 6, 1e-12);
  o.dual_clip_c = 10.0;
  EXPECT_NE(ComputePolicyLoss(b.Input(), o).dlogp[3], 0.0);  // below the bound: kept
}

TEST(Kl, K3IsZeroAtTheReferenceAndMatchesFiniteDifferences) {
  for (KlEstimator est :
       {KlEstimator::kK1, KlEstimator::kK2, KlEstimator::kK3, KlEstimator::kLowVarKl}) {
    double d;
    EXPECT_NEAR(KlValue(est, -1.3, -1.3, &d), 0.0, 1e-15);
    for (double logp : {-2.0, -0.7, -0.1}) {
      double ref = -1.1, dl, a, c;
      KlValue(est, logp, ref, &dl);
      double fd = (KlValue(est, logp + 1e-6, ref, &a) - KlValue(est, logp - 1e-6, ref, &c)) / 2e-6;
      EXPECT_NEAR(dl, fd, 1e-6) << static_cast<int>(est) << " " << logp;
    }
  }
  double d;
  EXPECT_EQ(KlValue(KlEstimator::kLowVarKl, -30.0, 0.0, &d), 10.0);  // clamped, no gradient
  EXPECT_EQ(d, 0.0);
  EXPECT_GT(KlValue(KlEstimator::kK3, -30.0, 0.0, &d), 10.0);
}

TEST(Grpo, KlTermGradientMatchesFiniteDifferences) {
  Batch b = MakeBatch();
  PolicyLossOptions o = Grpo(0.2);
  o.kl_beta = 0.3;
  PolicyLossOutput out = ComputePolicyLoss(b.Input(), o);
  for (size_t t = 0; t < 6; ++t) {
    double r = std::exp(b.logp[t] - b.old_logp[t]);
    if (std::abs(r - 0.8) < 1e-3 || std::abs(r - 1.2) < 1e-3) continue;  // kinks
    Batch p = b, m = b;
    p.logp[t] += 1e-6;
    m.logp[t] -= 1e-6;
    double fd =
        (ComputePolicyLoss(p.Input(), o).loss - ComputePolicyLoss(m.Input(), o).loss) / 2e-6;
    EXPECT_NEAR(out.dlogp[t], fd, 1e-7) << t;
  }
  EXPECT_GT(out.metrics["train/kl"], 0.0);
}

TEST(Aggregation, HandComputedWeights) {
  std::vector<int64_t> off = {0, 2, 5, 6};  // lengths 2, 3, 1; N = 6, S = 3
  auto tm = AggregationWeights(off, LossAggregation::kTokenMean, 0);
  for (double c : tm) EXPECT_DOUBLE_EQ(c, 1.0 / 6);
  auto smtm = AggregationWeights(off, LossAggregation::kSeqMeanTokenMean, 0);
  EXPECT_DOUBLE_EQ(smtm[0], 1.0 / 6);  // 1/(3·2)
  EXPECT_DOUBLE_EQ(smtm[2], 1.0 / 9);  // 1/(3·3)
  EXPECT_DOUBLE_EQ(smtm[5], 1.0 / 3);  // 1/(3·1)
  auto smts = AggregationWeights(off, LossAggregation::kSeqMeanTokenSum, 0);
  for (double c : smts) EXPECT_DOUBLE_EQ(c, 1.0 / 3);
  auto mix = AggregationWeights(off, LossAggregation::kMix, 0.25);
  EXPECT_DOUBLE_EQ(mix[2], 0.25 / 6 + 0.75 / 9);
  double total = 0;
  for (double c : smtm) total += c;
  EXPECT_NEAR(total, 1.0, 1e-12);  // every sequence weighs 1/S
}

TEST(Tis, TruncatedImportanceWeightScalesTokens) {
  Batch b = MakeBatch();
  std::vector<double> rollout = b.old_logp;
  rollout[0] -= std::log(4.0);  // learner's old prob is 4× the rollout's: capped at 2
  rollout[1] += std::log(2.0);  // half: weight 0.5
  PolicyLossInput in = b.Input();
  in.rollout_logp = rollout;
  PolicyLossOptions o = Cispo(0.2);
  PolicyLossOutput plain = ComputePolicyLoss(b.Input(), o);
  o.tis_cap = 2.0;
  PolicyLossOutput tis = ComputePolicyLoss(in, o);
  EXPECT_NEAR(tis.dlogp[0], 2.0 * plain.dlogp[0], 1e-12);
  EXPECT_NEAR(tis.dlogp[1], 0.5 * plain.dlogp[1], 1e-12);
  EXPECT_NEAR(tis.dlogp[2], plain.dlogp[2], 1e-12);
}

}  // namespace
}  // namespace rl::learner
