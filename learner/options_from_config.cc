#include "learner/options_from_config.h"

namespace rl::learner {

StatusOr<LearnerOptions> LearnerOptionsFromConfig(const config::RunConfig& c) {
  LearnerOptions o;
  const auto& a = c.algorithm;
  auto bad = [](const std::string& field, const std::string& v) {
    return absl::InvalidArgumentError(field + ": unknown value '" + v + "'");
  };
  if (!ParsePolicyLossKind(a.name, &o.loss.kind)) return bad("algorithm.name", a.name);
  if (!ParseTokenMask(a.token_mask, &o.loss.token_mask))
    return bad("algorithm.token_mask", a.token_mask);
  if (!ParseKlEstimator(a.kl_estimator, &o.loss.kl_estimator))
    return bad("algorithm.kl_estimator", a.kl_estimator);
  if (!ParseLossAggregation(a.loss_agg, &o.loss.aggregation))
    return bad("algorithm.loss_agg", a.loss_agg);
  o.loss.eps_low = a.eps_low;
  o.loss.eps_high = a.eps_high;
  o.loss.clip_eps = a.clip_eps;
  o.loss.dual_clip_c = a.dual_clip_c;
  o.loss.kl_beta = a.kl_beta;
  o.loss.mix_w = a.loss_mix_w;
  o.loss.tis_cap = a.tis_cap;
  o.updates_per_batch = a.updates_per_batch;
  o.balanced_advantages = a.balanced_advantages;
  const auto& op = c.optimizer;
  o.adamw.lr = op.lr;
  o.adamw.beta1 = op.beta1;
  o.adamw.beta2 = op.beta2;
  o.adamw.eps = op.eps;
  o.adamw.weight_decay = op.weight_decay;
  o.decay_all = op.decay_all;
  o.clip_norm = op.clip_norm;
  if (!ParseSchedule(op.schedule, &o.schedule.kind)) return bad("optimizer.schedule", op.schedule);
  o.schedule.warmup_steps = op.warmup_steps;
  o.schedule.min_lr_ratio = op.min_lr_ratio;
  o.schedule.total_steps = std::max<int64_t>(1, c.run.steps * a.updates_per_batch);
  o.temperature = c.rollout.sampling.temperature > 0 ? c.rollout.sampling.temperature : 1.0;
  o.seed = static_cast<uint64_t>(c.run.seed);
  return o;
}

}  // namespace rl::learner
