#include "learner/policy_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rl/core/logging.h"

namespace rl::learner {

bool ParsePolicyLossKind(const std::string& s, PolicyLossKind* out) {
  if (s == "cispo")
    *out = PolicyLossKind::kCispo;
  else if (s == "grpo")
    *out = PolicyLossKind::kGrpo;
  else
    return false;
  return true;
}

bool ParseTokenMask(const std::string& s, TokenMask* out) {
  if (s == "none")
    *out = TokenMask::kNone;
  else if (s == "m1")
    *out = TokenMask::kM1;
  else if (s == "ppo")
    *out = TokenMask::kPpo;
  else
    return false;
  return true;
}

bool ParseKlEstimator(const std::string& s, KlEstimator* out) {
  if (s == "k1")
    *out = KlEstimator::kK1;
  else if (s == "k2")
    *out = KlEstimator::kK2;
  else if (s == "k3")
    *out = KlEstimator::kK3;
  else if (s == "low_var_kl")
    *out = KlEstimator::kLowVarKl;
  else
    return false;
  return true;
}

bool ParseLossAggregation(const std::string& s, LossAggregation* out) {
  if (s == "token-mean")
    *out = LossAggregation::kTokenMean;
  else if (s == "seq-mean-token-mean")
    *out = LossAggregation::kSeqMeanTokenMean;
  else if (s == "seq-mean-token-sum")
    *out = LossAggregation::kSeqMeanTokenSum;
  else if (s == "mix")
    *out = LossAggregation::kMix;
  else
    return false;
  return true;
}

std::vector<double> AggregationWeights(std::span<const int64_t> offsets, LossAggregation mode,
                                       double mix_w) {
  RL_CHECK(!offsets.empty());
  const size_t S = offsets.size() - 1;
  const int64_t N = offsets.back() - offsets.front();
  std::vector<double> c(static_cast<size_t>(N), 0.0);
  if (N == 0) return c;
  for (size_t i = 0; i < S; ++i) {
    const int64_t len = offsets[i + 1] - offsets[i];
    if (len == 0) continue;
    double token_mean = 1.0 / static_cast<double>(N);
    double seq_mean_token_mean = 1.0 / (static_cast<double>(S) * static_cast<double>(len));
    double seq_mean_token_sum = 1.0 / static_cast<double>(S);
    double w = 0;
    switch (mode) {
      case LossAggregation::kTokenMean:
        w = token_mean;
        break;
      case LossAggregation::kSeqMeanTokenMean:
        w = seq_mean_token_mean;
        break;
      case LossAggregation::kSeqMeanTokenSum:
        w = seq_mean_token_sum;
        break;
      case LossAggregation::kMix:
        w = mix_w * token_mean + (1 - mix_w) * seq_mean_token_mean;
        break;
    }
    for (int64_t t = offsets[i]; t < offsets[i + 1]; ++t) c[t - offsets.front()] = w;
  }
  return c;
}

double KlValue(KlEstimator est, double logp, double ref_logp, double* dkl_dlogp) {
  const double x = ref_logp - logp;  // log(π_ref/π_θ)
  switch (est) {
    case KlEstimator::kK1:
      *dkl_dlogp = 1.0;
      return -x;
    case KlEstimator::kK2:
      *dkl_dlogp = -x;
      return 0.5 * x * x;
    case KlEstimator::kK3:
    case KlEstimator::kLowVarKl: {
      double ex = std::exp(x);
      double k3 = ex - x - 1.0;
      *dkl_dlogp = 1.0 - ex;
      if (est == KlEstimator::kLowVarKl && (k3 < -10.0 || k3 > 10.0)) {
        *dkl_dlogp = 0.0;
        return std::clamp(k3, -10.0, 10.0);
      }
      return k3;
    }
  }
  *dkl_dlogp = 0;
  return 0;
}

PolicyLossOutput ComputePolicyLoss(const PolicyLossInput& in, const PolicyLossOptions& o) {
  const size_t N = in.logp.size();
  RL_CHECK(in.old_logp.size() == N && in.advantages.size() == N);
  RL_CHECK(!in.seq_offsets.empty() &&
           static_cast<size_t>(in.seq_offsets.back() - in.seq_offsets.front()) == N);
  const bool use_kl = o.kind == PolicyLossKind::kGrpo && o.kl_beta > 0;
  RL_CHECK(!use_kl || in.ref_logp.size() == N) << "kl_beta > 0 needs reference log-probs";
  RL_CHECK(o.tis_cap <= 0 || in.rollout_logp.size() == N) << "tis_cap needs rollout log-probs";

  std::vector<double> c = AggregationWeights(in.seq_offsets, o.aggregation, o.mix_w);
  PolicyLossOutput out;
  out.dlogp.assign(N, 0.0);
  double w_sum = 0, w_max = -std::numeric_limits<double>::infinity();
  double w_min = std::numeric_limits<double>::infinity();
  int64_t clipped_high = 0, clipped_low = 0, dropped = 0;
  double kl_sum = 0;
  for (size_t t = 0; t < N; ++t) {
    const double A = in.advantages[t];
    const double r = std::exp(in.logp[t] - in.old_logp[t]);
    w_sum += r;
    w_max = std::max(w_max, r);
    w_min = std::min(w_min, r);
    const double tis =
        o.tis_cap > 0 ? std::min(std::exp(in.old_logp[t] - in.rollout_logp[t]), o.tis_cap) : 1.0;
    double l = 0, dl = 0;  // per-token loss and ∂/∂logp
    if (o.kind == PolicyLossKind::kCispo) {
      const double hi = 1.0 + o.eps_high, lo = 1.0 - o.eps_low;
      const bool above = r > hi, below = r < lo;
      clipped_high += above ? 1 : 0;
      clipped_low += below ? 1 : 0;
      double weight = std::clamp(r, lo, hi);  // sg(r̂)
      double mask = 1.0;
      if (o.token_mask != TokenMask::kNone && ((A > 0 && above) || (A < 0 && below))) mask = 0.0;
      if (o.token_mask == TokenMask::kPpo) weight = r;
      // J_t = sg(w)·m·Â·logp; loss = −J.
      l = -weight * mask * A * in.logp[t];
      dl = -weight * mask * A;
    } else {
      const double lo = 1.0 - o.clip_eps, hi = 1.0 + o.clip_eps;
      if (A < 0 && r > o.dual_clip_c) {
        ++dropped;  // dual clip: dropped token, no loss, no gradient
      } else {
        const double unclipped = r * A, clipped = std::clamp(r, lo, hi) * A;
        if (unclipped <= clipped) {
          l = -unclipped;
          dl = -A * r;  // d(r·Â)/dlogp = r·Â
        } else {
          l = -clipped;  // the clipped branch is constant in θ outside [lo, hi]
          dl = (r > lo && r < hi) ? -A * r : 0.0;
          clipped_high += r >= hi ? 1 : 0;
          clipped_low += r <= lo ? 1 : 0;
        }
      }
      if (use_kl) {
        double dkl = 0;
        double kl = KlValue(o.kl_estimator, in.logp[t], in.ref_logp[t], &dkl);
        kl_sum += kl;
        l += o.kl_beta * kl;
        dl += o.kl_beta * dkl;
      }
    }
    out.loss += c[t] * tis * l;
    out.dlogp[t] = c[t] * tis * dl;
  }
  const double n = N ? static_cast<double>(N) : 1.0;
  out.metrics["train/is_weight_mean"] = N ? w_sum / n : 1.0;
  out.metrics["train/is_weight_max"] = N ? w_max : 1.0;
  out.metrics["train/is_weight_min"] = N ? w_min : 1.0;
  out.metrics["train/clip_frac_high"] = static_cast<double>(clipped_high) / n;
  out.metrics["train/clip_frac_low"] = static_cast<double>(clipped_low) / n;
  if (o.kind == PolicyLossKind::kGrpo) {
    out.metrics["train/dual_clip_frac"] = static_cast<double>(dropped) / n;
    if (use_kl) out.metrics["train/kl"] = kl_sum / n;
  }
  return out;
}

void LogitGradient(std::span<const float> z, int64_t token, double temperature, double dlogp,
                   std::span<float> dz) {
  RL_CHECK(z.size() == dz.size() && token >= 0 && static_cast<size_t>(token) < z.size());
  RL_CHECK(temperature > 0);
  double m = -std::numeric_limits<double>::infinity();
  for (float v : z) m = std::max(m, static_cast<double>(v) / temperature);
  double sum = 0;
  for (float v : z) sum += std::exp(static_cast<double>(v) / temperature - m);
  for (size_t i = 0; i < z.size(); ++i) {
    double p = std::exp(static_cast<double>(z[i]) / temperature - m) / sum;
    double onehot = static_cast<int64_t>(i) == token ? 1.0 : 0.0;
    dz[i] = static_cast<float>(dlogp * (onehot - p) / temperature);
  }
}

}  // namespace rl::learner
