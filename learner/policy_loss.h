// The policy losses of the recipe (RECIPE.md "CISPO", "GRPO variant") on a packed batch of
// response tokens. The loss is a function of the per-token log-probs logp_t = log π_θ(o_t|…)
// under the current policy; this module returns the loss and ∂loss/∂logp_t, and
// LogitGradient turns the latter into ∂loss/∂z for the token's logits (z/T softmax).
//
// Conventions: r_t = exp(logp_t − old_logp_t) with old_logp the log-probs of the policy that
// generated the samples (returned by the rollout worker); advantages are per token (the
// sequence's advantage repeated). Every returned gradient treats r's clipped weight as a
// constant (stop-gradient) exactly where the recipe says so. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace rl::learner {

enum class PolicyLossKind { kCispo, kGrpo };
enum class TokenMask { kNone, kM1, kPpo };  // CISPO: none | M1 eq. 6 with sg(r̂)·m | sg(r)·m
enum class KlEstimator { kK1, kK2, kK3, kLowVarKl };
enum class LossAggregation { kTokenMean, kSeqMeanTokenMean, kSeqMeanTokenSum, kMix };

struct PolicyLossOptions {
  PolicyLossKind kind = PolicyLossKind::kCispo;
  double eps_low = 1.0;    // CISPO IS-weight clip below: 1 − eps_low
  double eps_high = 0.28;  // CISPO IS-weight clip above: 1 + eps_high
  TokenMask token_mask = TokenMask::kNone;
  double clip_eps = 0.2;     // GRPO PPO clip ε
  double dual_clip_c = 3.0;  // GRPO: tokens with Â < 0 and r > c are dropped
  double kl_beta = 0.0;      // GRPO KL coefficient (0: ref_logp unused)
  KlEstimator kl_estimator = KlEstimator::kK3;
  LossAggregation aggregation = LossAggregation::kTokenMean;
  double mix_w = 0.5;    // kMix: w·token-mean + (1 − w)·seq-mean-token-mean
  double tis_cap = 0.0;  // > 0: weight tokens by min(exp(old_logp − rollout_logp), cap)
};

// Parses the YAML spellings (config::AlgorithmSection); false on an unknown name.
bool ParsePolicyLossKind(const std::string& s, PolicyLossKind* out);
bool ParseTokenMask(const std::string& s, TokenMask* out);
bool ParseKlEstimator(const std::string& s, KlEstimator* out);
bool ParseLossAggregation(const std::string& s, LossAggregation* out);

struct PolicyLossInput {
  std::span<const double> logp;          // (N) current policy, the differentiated input
  std::span<const double> old_logp;      // (N) behaviour policy π_old
  std::span<const double> advantages;    // (N) Â per token
  std::span<const int64_t> seq_offsets;  // (S+1) token ranges of the sequences in the batch
  std::span<const double> ref_logp;      // (N) reference policy, needed when kl_beta > 0
  std::span<const double> rollout_logp;  // (N) rollout engine's log-probs, needed when tis_cap > 0
};

struct PolicyLossOutput {
  double loss = 0;                        // −J (+ β·KL), aggregated
  std::vector<double> dlogp;              // (N) ∂loss/∂logp_t
  std::map<std::string, double> metrics;  // train/is_weight_*, train/clip_frac_*, train/kl
};

PolicyLossOutput ComputePolicyLoss(const PolicyLossInput& in, const PolicyLossOptions& options);

// Per-token aggregation coefficients c_t with loss = Σ_t c_t·ℓ_t for the chosen mode.
std::vector<double> AggregationWeights(std::span<const int64_t> seq_offsets, LossAggregation mode,
                                       double mix_w);

// KL estimate of one token and its derivative w.r.t. logp (x = ref_logp − logp).
double KlValue(KlEstimator est, double logp, double ref_logp, double* dkl_dlogp);

// ∂loss/∂z for one position: dlogp·(onehot(token) − softmax(z/T))/T, written to dz (V).
// Overwrites dz. z and dz may not alias.
void LogitGradient(std::span<const float> z, int64_t token, double temperature, double dlogp,
                   std::span<float> dz);

}  // namespace rl::learner
