// End-to-end gradient check of the whole tiny model (2 lightning + 1 softmax layers, 4
// experts top-2, vocab 64): every parameter entry's gradient vs central finite differences
// in double, through the FP32-style LM head with log-softmax under temperature, with the MoE
// aux loss on. Also: recomputation gives the same gradients, and float agrees with double.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "learner/backward/model_grad.h"
#include "tests/learner/grad_check.h"

namespace rl::learner {
namespace {

using model::LayerType;
using model::ModelConfig;

ModelConfig TinyConfig(bool postnorm) {
  ModelConfig c;
  c.vocab_size = 64;
  c.hidden_size = 8;
  c.num_layers = 3;
  c.layer_types = {LayerType::kLightning, LayerType::kSoftmax, LayerType::kLightning};
  c.num_heads = 2;
  c.head_dim = 4;
  c.num_kv_heads = 1;
  c.rotary_dim = 2;  // partial RoPE
  c.rope_theta = 1e4;
  c.intermediate_size = 6;
  c.num_experts = 4;
  c.experts_per_token = 2;
  c.postnorm = postnorm;
  c.lightning_alpha = 1.3;
  c.softmax_alpha = 0.8;
  c.mlp_alpha = 1.2;
  c.lightning_beta = 0.9;
  c.softmax_beta = 1.1;
  c.mlp_beta = 0.7;
  return c;
}

Tensors<double> RandomParams(const ModelConfig& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, 0.4);
  Tensors<double> p = ZeroTensors<double>(c);
  for (auto& [name, v] : p) {
    const bool norm = name.find("norm") != std::string::npos;
    for (auto& x : v) x = norm ? 1.0 + 0.3 * n(rng) : n(rng);
  }
  return p;
}

struct Problem {
  std::vector<int32_t> tokens = {5, 17, 3, 3, 60, 41, 9, 22, 1, 0, 63, 12, 7};
  std::vector<int64_t> offsets = {0, 6, 13};
  std::vector<int32_t> targets;  // next token inside the response part, −1 elsewhere
  std::vector<double> coef;      // per-token loss coefficients
  double temperature = 0.7;
  Problem() {
    targets.assign(tokens.size(), -1);
    for (int64_t t = 1; t < 5; ++t) targets[t] = tokens[t + 1];   // seq 0: prompt = token 0
    for (int64_t t = 8; t < 12; ++t) targets[t] = tokens[t + 1];  // seq 1: prompt = 6..7
    std::mt19937_64 rng(9);
    coef = testing::RandomVector(tokens.size(), rng);
  }
  PackedBatch batch() const { return PackedBatch{tokens, offsets}; }
};

// loss = Σ_t coef_t·logp_t + aux; returns it, and the gradients when grads != nullptr.
double Loss(const ModelConfig& c, const Tensors<double>& p, const Problem& pr,
            const GradOptions& opts, Tensors<double>* grads) {
  const int64_t N = static_cast<int64_t>(pr.tokens.size()), C = c.hidden_size, V = c.vocab_size;
  WeightView<double> w = ViewOf(p);
  Activations<double> acts;
  ModelForward<double>(c, w, pr.batch(), opts, &acts);
  std::vector<double> logp(N);
  LmHeadLogProbs<double>(acts.final_hidden.data(), w.at(LmHeadName(c)), N, C, V, pr.targets,
                         pr.temperature, logp.data(), nullptr);
  double loss = acts.aux_loss;
  for (int64_t t = 0; t < N; ++t) loss += pr.coef[t] * logp[t];
  if (grads != nullptr) {
    std::vector<double> dh(N * C);
    LmHeadBackward<double>(acts.final_hidden.data(), w.at(LmHeadName(c)), N, C, V, pr.targets,
                           pr.temperature, pr.coef.data(), dh.data(),
                           grads->at(LmHeadName(c)).data());
    ModelBackward<double>(c, w, pr.batch(), opts, &acts, dh.data(), grads);
  }
  return loss;
}

class ModelGradTest : public ::testing::TestWithParam<bool> {};  // postnorm

TEST_P(ModelGradTest, EveryParameterMatchesFiniteDifferences) {
  const ModelConfig c = TinyConfig(GetParam());
  ASSERT_TRUE(c.Validate().ok());
  Tensors<double> p = RandomParams(c, 11);
  Problem pr;
  GradOptions opts;
  opts.lightning_block = 2;  // several blocks per sequence
  opts.aux_loss_coef = 0.05;
  Tensors<double> g = ZeroTensors<double>(c);
  Loss(c, p, pr, opts, &g);
  double worst = 0;
  for (auto& [name, values] : p) {
    worst = std::max(worst, testing::CheckGradient(
                                name, values, g.at(name),
                                [&] { return Loss(c, p, pr, opts, nullptr); }, 1e-4, 1e-8));
  }
  RecordProperty("worst_relative_error", std::to_string(worst));
  std::printf("worst relative error over all parameters: %.3g\n", worst);
}

INSTANTIATE_TEST_SUITE_P(PostNorm, ModelGradTest, ::testing::Bool());

TEST(ModelGradTest, TiedEmbeddingsGetBothGradients) {
  ModelConfig c = TinyConfig(true);
  c.tie_word_embeddings = true;
  Tensors<double> p = RandomParams(c, 14);
  ASSERT_EQ(p.count("lm_head.weight"), 0u);
  Problem pr;
  GradOptions opts;
  Tensors<double> g = ZeroTensors<double>(c);
  Loss(c, p, pr, opts, &g);
  auto& embed = p.at("model.embed_tokens.weight");
  testing::CheckGradient(
      "tied embedding", embed, g.at("model.embed_tokens.weight"),
      [&] { return Loss(c, p, pr, opts, nullptr); }, 1e-4, 1e-8);
}

TEST(ModelGradTest, RecomputationGivesIdenticalGradients) {
  const ModelConfig c = TinyConfig(true);
  Tensors<double> p = RandomParams(c, 12);
  Problem pr;
  GradOptions opts;
  opts.aux_loss_coef = 0.01;
  Tensors<double> g1 = ZeroTensors<double>(c), g2 = ZeroTensors<double>(c);
  const double l1 = Loss(c, p, pr, opts, &g1);
  opts.recompute = true;
  const double l2 = Loss(c, p, pr, opts, &g2);
  EXPECT_EQ(l1, l2);
  for (const auto& [name, v] : g1) EXPECT_EQ(v, g2.at(name)) << name;
}

TEST(ModelGradTest, FloatForwardAndBackwardAgreeWithDouble) {
  const ModelConfig c = TinyConfig(true);
  Tensors<double> pd = RandomParams(c, 13);
  Tensors<float> pf;
  for (const auto& [name, v] : pd) pf[name] = std::vector<float>(v.begin(), v.end());
  Problem pr;
  GradOptions opts;
  const int64_t N = static_cast<int64_t>(pr.tokens.size()), C = c.hidden_size;
  Activations<double> ad;
  Activations<float> af;
  ModelForward<double>(c, ViewOf(pd), pr.batch(), opts, &ad);
  ModelForward<float>(c, ViewOf(pf), pr.batch(), opts, &af);
  for (int64_t i = 0; i < N * C; ++i) ASSERT_NEAR(af.final_hidden[i], ad.final_hidden[i], 1e-4);
  std::vector<double> dhd(N * C);
  std::vector<float> dhf(N * C);
  std::mt19937_64 rng(1);
  auto r = testing::RandomVector(N * C, rng);
  for (int64_t i = 0; i < N * C; ++i) dhf[i] = static_cast<float>(dhd[i] = r[i]);
  Tensors<double> gd = ZeroTensors<double>(c);
  Tensors<float> gf = ZeroTensors<float>(c);
  ModelBackward<double>(c, ViewOf(pd), pr.batch(), opts, &ad, dhd.data(), &gd);
  ModelBackward<float>(c, ViewOf(pf), pr.batch(), opts, &af, dhf.data(), &gf);
  for (const auto& [name, v] : gd) {
    double num = 0, den = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      num += std::pow(v[i] - gf.at(name)[i], 2);
      den += v[i] * v[i];
    }
    EXPECT_LE(std::sqrt(num), 1e-4 * std::sqrt(den) + 1e-6) << name;
  }
}

}  // namespace
}  // namespace rl::learner
