// The training step: agreement with the engine's forward and its independent double
// reference, on-policy metrics, the direction of CISPO updates, updates_per_batch, SFT loss
// falling, recomputation, and exact resume from a checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "learner/backward/model_grad.h"
#include "learner/trainer.h"
#include "rl/kernels/log_softmax.h"
#include "rl/model/forward.h"
#include "tests/model/reference_model.h"

namespace rl::learner {
namespace {

using model::LayerType;
using model::ModelConfig;

ModelConfig SmallConfig() {
  ModelConfig c;
  c.vocab_size = 64;
  c.hidden_size = 16;
  c.num_layers = 3;
  c.layer_types = {LayerType::kLightning, LayerType::kLightning, LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 8;
  c.num_kv_heads = 1;
  c.rotary_dim = 4;
  c.intermediate_size = 12;
  c.num_experts = 4;
  c.experts_per_token = 2;
  c.lightning_alpha = c.softmax_alpha = c.mlp_alpha = std::pow(6.0, 0.25);
  return c;
}

model::ParamMap ScaledParams(const ModelConfig& c, uint64_t seed, float scale) {
  model::ParamMap p = model::InitParams(c, seed);
  for (auto& [name, t] : p) {
    if (t.shape.size() > 1) {
      for (auto& x : t.data) x *= scale;
    }
  }
  return p;
}

PackedSequences MakeBatch(uint64_t seed, std::vector<int64_t> lens, int64_t prompt) {
  std::mt19937_64 rng(seed);
  PackedSequences b;
  b.offsets.push_back(0);
  for (int64_t n : lens) {
    for (int64_t i = 0; i < n; ++i) b.tokens.push_back(static_cast<int32_t>(rng() % 64));
    b.offsets.push_back(static_cast<int64_t>(b.tokens.size()));
    b.prompt_lens.push_back(prompt);
  }
  return b;
}

class EngineAgreementTest : public ::testing::TestWithParam<const char*> {};  // dialect

TEST_P(EngineAgreementTest, LogProbsMatchEngineForwardAndIndependentDoubleReference) {
  ModelConfig c = SmallConfig();
  c.dialect = GetParam();
  model::ParamMap params = ScaledParams(c, 3, 10.0f);  // std 0.2: far from the identity
  PackedSequences b = MakeBatch(1, {9, 300, 5}, 2);    // 300 > block: several LA-2 blocks
  LearnerOptions opts;
  opts.temperature = 0.8;
  opts.lightning_block = 64;
  auto learner = Learner::Create(c, params, opts);
  ASSERT_TRUE(learner.ok()) << learner.status();
  auto mine = (*learner)->TokenLogProbs(b);
  ASSERT_TRUE(mine.ok());
  // The engine's float forward.
  auto engine = model::Model::Create(c, params, 1);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const auto targets = ResponseTargets(b);
  std::vector<float> theirs(b.tokens.size());
  ASSERT_TRUE(model::PackedTokenLogProbs(**engine, model::PackedTokens{b.tokens, b.offsets},
                                         targets, 0.8f, theirs)
                  .ok());
  // The engine's double reference (token recurrence, explicit attention), per sequence.
  model::testing::ReferenceModel ref(c, params);
  double worst = 0;
  for (size_t s = 0; s + 1 < b.offsets.size(); ++s) {
    std::vector<int32_t> seq(b.tokens.begin() + b.offsets[s], b.tokens.begin() + b.offsets[s + 1]);
    const auto logits = ref.Logits(seq);
    for (int64_t p = b.offsets[s] + b.prompt_lens[s]; p < b.offsets[s + 1]; ++p) {
      const int64_t row = p - 1 - b.offsets[s];
      double mx = -1e300, sum = 0;
      for (int64_t v = 0; v < c.vocab_size; ++v)
        mx = std::max(mx, logits[row * c.vocab_size + v] / 0.8);
      for (int64_t v = 0; v < c.vocab_size; ++v)
        sum += std::exp(logits[row * c.vocab_size + v] / 0.8 - mx);
      const double want = logits[row * c.vocab_size + b.tokens[p]] / 0.8 - mx - std::log(sum);
      EXPECT_NEAR((*mine)[p], want, 2e-4) << "position " << p;
      EXPECT_NEAR(theirs[p - 1], (*mine)[p], 2e-4) << "position " << p;
      worst = std::max(worst, std::abs((*mine)[p] - want));
    }
  }
  std::printf("max |learner − double reference| log-prob: %.3g\n", worst);
}

INSTANTIATE_TEST_SUITE_P(Dialects, EngineAgreementTest,
                         ::testing::Values("original", "transformers"));

RlBatch OnPolicyBatch(Learner& l, uint64_t seed) {
  RlBatch b;
  static_cast<PackedSequences&>(b) = MakeBatch(seed, {7, 10, 6, 9}, 3);
  b.old_logp = *l.TokenLogProbs(b);
  b.advantages = {1.0, -1.0, 0.5, -0.5};
  return b;
}

TEST(TrainerTest, OnPolicyFirstUpdateHasUnitRatiosAndPerfectCorrelation) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.adamw.lr = 1e-3;
  opts.updates_per_batch = 1;
  auto l = *Learner::Create(c, ScaledParams(c, 4, 5.0f), opts);
  RlBatch b = OnPolicyBatch(*l, 7);
  auto m = l->TrainStep(b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->at("train/is_weight_mean"), 1.0, 1e-6);
  EXPECT_NEAR(m->at("mismatch/prob_corr"), 1.0, 1e-9);
  EXPECT_NEAR(m->at("mismatch/abs_diff"), 0.0, 1e-9);
  EXPECT_EQ(m->at("train/clip_frac_high"), 0.0);
  EXPECT_GT(m->at("train/grad_norm"), 0.0);
  EXPECT_GT(m->at("train/entropy"), 0.0);
  EXPECT_EQ(l->step(), 1);
  // Token-weighted advantage mass: 4·1 + 3·0.5 positive, 7·1 + 6·0.5 negative.
  EXPECT_DOUBLE_EQ(m->at("train/adv_pos_mass"), 4 * 1.0 + 3 * 0.5);
  EXPECT_DOUBLE_EQ(m->at("train/adv_neg_mass"), 7 * 1.0 + 6 * 0.5);
}

TEST(TrainerTest, CispoRaisesPositiveAndLowersNegativeSequences) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.adamw.lr = 3e-3;
  opts.updates_per_batch = 4;
  auto l = *Learner::Create(c, ScaledParams(c, 5, 5.0f), opts);
  RlBatch b = OnPolicyBatch(*l, 8);
  for (int i = 0; i < 3; ++i) {
    auto m = l->TrainStep(b);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->at("train/updates"), 4.0);
    if (i == 2) {  // the ratios moved away from 1 (off-policy mini-batches)
      EXPECT_GT(m->at("train/is_weight_max") - m->at("train/is_weight_min"), 1e-3);
    }
  }
  EXPECT_EQ(l->step(), 12);
  auto after = *l->TokenLogProbs(b);
  for (size_t s = 0; s < 4; ++s) {
    double delta = 0;
    for (int64_t p = b.offsets[s] + b.prompt_lens[s]; p < b.offsets[s + 1]; ++p)
      delta += after[p] - b.old_logp[p];
    if (b.advantages[s] > 0) {
      EXPECT_GT(delta, 0) << "sequence " << s;
    } else {
      EXPECT_LT(delta, 0) << "sequence " << s;
    }
  }
}

TEST(TrainerTest, GrpoWithKlKeepsAReferenceAndReportsKl) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.loss.kind = PolicyLossKind::kGrpo;
  opts.loss.kl_beta = 0.1;
  opts.adamw.lr = 3e-3;
  opts.updates_per_batch = 2;
  auto l = *Learner::Create(c, ScaledParams(c, 6, 5.0f), opts);
  RlBatch b = OnPolicyBatch(*l, 9);
  auto m1 = *l->TrainStep(b);
  EXPECT_NEAR(m1.at("train/kl"), 0.0, 1e-3);  // first mini-batch: policy = reference
  auto m2 = *l->TrainStep(b);
  EXPECT_GT(m2.at("train/kl"), 0.0);
}

TEST(TrainerTest, SftLossFalls) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.adamw.lr = 1e-2;
  auto l = *Learner::Create(c, model::InitParams(c, 7), opts);
  PackedSequences b = MakeBatch(11, {12, 16, 10}, 4);
  double first = 0, last = 0;
  for (int i = 0; i < 30; ++i) {
    auto m = l->SftStep(b);
    ASSERT_TRUE(m.ok());
    if (i == 0) first = m->at("train/loss");
    last = m->at("train/loss");
  }
  EXPECT_NEAR(first, std::log(64.0), 0.1);  // small init: near uniform
  EXPECT_LT(last, 0.5 * first);
}

TEST(TrainerTest, RecomputationAndAttentionThreadsGiveBitwiseIdenticalWeights) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.adamw.lr = 1e-3;
  opts.num_threads = 1;
  auto a = *Learner::Create(c, ScaledParams(c, 8, 5.0f), opts);
  opts.recompute = true;
  auto b = *Learner::Create(c, ScaledParams(c, 8, 5.0f), opts);
  opts.recompute = false;
  opts.attention_threads = 3;
  auto pooled = *Learner::Create(c, ScaledParams(c, 8, 5.0f), opts);
  RlBatch batch = OnPolicyBatch(*a, 12);
  ASSERT_TRUE(a->TrainStep(batch).ok());
  ASSERT_TRUE(b->TrainStep(batch).ok());
  ASSERT_TRUE(pooled->TrainStep(batch).ok());
  for (const auto& [name, t] : a->params()) {
    EXPECT_EQ(t.data, b->params().at(name).data) << name;
    EXPECT_EQ(t.data, pooled->params().at(name).data) << name;
  }
}

TEST(TrainerTest, ResumeIsBitwiseExact) {
  const ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.adamw.lr = 2e-3;
  opts.updates_per_batch = 2;
  opts.num_threads = 1;
  opts.seed = 42;
  opts.loss.kind = PolicyLossKind::kGrpo;
  opts.loss.kl_beta = 0.05;
  const auto init = ScaledParams(c, 9, 5.0f);
  std::vector<RlBatch> batches;
  {
    auto probe = *Learner::Create(c, init, opts);
    for (int i = 0; i < 4; ++i) batches.push_back(OnPolicyBatch(*probe, 100 + i));
  }
  auto straight = *Learner::Create(c, init, opts);
  for (const auto& b : batches) ASSERT_TRUE(straight->TrainStep(b).ok());

  const std::string dir = std::string(RL_BINARY_DIR) + "/tmp_learner_resume";
  std::filesystem::remove_all(dir);
  {
    auto first = *Learner::Create(c, init, opts);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(first->TrainStep(batches[i]).ok());
    first->set_data_cursor(2);
    ASSERT_TRUE(first->Save(dir).ok());
  }
  auto resumed = Learner::Restore(dir, opts);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->step(), 4);
  EXPECT_EQ((*resumed)->data_cursor(), 2);
  for (int i = 2; i < 4; ++i) ASSERT_TRUE((*resumed)->TrainStep(batches[i]).ok());
  for (const auto& [name, t] : straight->params()) {
    EXPECT_EQ(t.data, (*resumed)->params().at(name).data) << name;
  }
  std::filesystem::remove_all(dir);
}

TEST(TrainerTest, BadBatchesAreErrors) {
  const ModelConfig c = SmallConfig();
  auto l = *Learner::Create(c, model::InitParams(c, 1), LearnerOptions{});
  PackedSequences b = MakeBatch(1, {5}, 1);
  b.prompt_lens[0] = 0;
  EXPECT_FALSE(l->SftStep(b).ok());
  b.prompt_lens[0] = 1;
  b.tokens[2] = 64;
  auto st = l->SftStep(b);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("position 2"), std::string::npos);
}

}  // namespace
}  // namespace rl::learner
