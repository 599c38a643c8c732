// LearnerOptionsFromConfig maps every YAML spelling and rejects unknown ones by field name.
#include <gtest/gtest.h>

#include "learner/options_from_config.h"

namespace rl::learner {
namespace {

TEST(OptionsFromConfigTest, MapsAlgorithmOptimizerAndSampling) {
  config::RunConfig c;
  c.algorithm.name = "grpo";
  c.algorithm.token_mask = "ppo";
  c.algorithm.kl_estimator = "low_var_kl";
  c.algorithm.loss_agg = "mix";
  c.algorithm.kl_beta = 0.2;
  c.algorithm.updates_per_batch = 16;
  c.optimizer.schedule = "cosine";
  c.optimizer.lr = 3e-6;
  c.run.steps = 10;
  c.rollout.sampling.temperature = 0.0;
  auto o = LearnerOptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->loss.kind, PolicyLossKind::kGrpo);
  EXPECT_EQ(o->loss.token_mask, TokenMask::kPpo);
  EXPECT_EQ(o->loss.kl_estimator, KlEstimator::kLowVarKl);
  EXPECT_EQ(o->loss.aggregation, LossAggregation::kMix);
  EXPECT_EQ(o->loss.kl_beta, 0.2);
  EXPECT_EQ(o->updates_per_batch, 16);
  EXPECT_EQ(o->schedule.kind, Schedule::kCosine);
  EXPECT_EQ(o->schedule.total_steps, 160);
  EXPECT_EQ(o->adamw.lr, 3e-6);
  EXPECT_EQ(o->adamw.beta2, 0.95);
  EXPECT_EQ(o->adamw.eps, 1e-15);
  EXPECT_EQ(o->temperature, 1.0);  // greedy rollouts are scored at T = 1
  c.algorithm.loss_agg = "mean";
  auto bad = LearnerOptionsFromConfig(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("algorithm.loss_agg"), std::string::npos);
}

}  // namespace
}  // namespace rl::learner
