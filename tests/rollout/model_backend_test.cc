// The scheduler on the real forward: batched decode steps with continuous batching must give
// the tokens and log-probs of recomputing each sequence from scratch with the packed forward
// (an independent code path: no decode state, no batching).
#include "rollout/model_backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rl/model/hf_config.h"
#include "rollout/scheduler.h"

namespace rl::rollout {
namespace {

using model::LayerType;
using model::ModelConfig;
using model::ParamMap;

ModelConfig Tiny() {
  ModelConfig c;
  c.vocab_size = 61;
  c.hidden_size = 32;
  c.num_layers = 3;
  c.layer_types = {LayerType::kLightning, LayerType::kSoftmax, LayerType::kLightning};
  c.num_heads = 2;
  c.head_dim = 16;
  c.num_kv_heads = 1;
  c.rotary_dim = 8;
  c.intermediate_size = 24;
  c.num_experts = 3;
  c.experts_per_token = 2;
  c.max_position = 256;
  c.eos_token_id = 7;
  return c;
}

// Weights large enough that logits are far from uniform (distinct argmaxes).
ParamMap Params(const ModelConfig& c, uint64_t seed) {
  ParamMap p = model::InitParams(c, seed);
  for (auto& [name, t] : p) {
    if (t.shape.size() > 1) {
      for (auto& x : t.data) x *= 10.0f;
    }
  }
  return p;
}

// Greedy continuation of prompt recomputed from scratch each token with PackedLogits.
struct Ref {
  std::vector<int32_t> tokens;
  std::vector<double> logprobs;
};
Ref GreedyByRecompute(const model::Model& m, std::vector<int32_t> seq, int64_t budget,
                      int64_t eos) {
  Ref r;
  const int64_t V = m.config().vocab_size;
  for (int64_t n = 0; n < budget; ++n) {
    std::vector<int64_t> offsets = {0, static_cast<int64_t>(seq.size())};
    std::vector<float> logits;
    EXPECT_TRUE(model::PackedLogits(m, {seq, offsets}, &logits).ok());
    const float* z = logits.data() + (seq.size() - 1) * V;
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v) best = z[v] > z[best] ? v : best;
    double mx = -INFINITY, s = 0;
    for (int64_t v = 0; v < V; ++v) mx = std::max(mx, static_cast<double>(z[v]));
    for (int64_t v = 0; v < V; ++v) s += std::exp(z[v] - mx);
    r.tokens.push_back(static_cast<int32_t>(best));
    r.logprobs.push_back(z[best] - mx - std::log(s));
    seq.push_back(static_cast<int32_t>(best));
    if (best == eos) break;
  }
  return r;
}

std::unique_ptr<model::Model> MakeModel(const ModelConfig& c, uint64_t seed) {
  auto m = model::Model::Create(c, Params(c, seed), 1);
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(m).value();
}

TEST(ModelBackendTest, ContinuousBatchingMatchesRecomputeFromScratch) {
  const ModelConfig c = Tiny();
  auto ref_model = MakeModel(c, 11);
  ModelBackend backend(MakeModel(c, 11), /*max_slots=*/3, 1);
  SchedulerOptions opt;
  opt.max_batch = 3;
  opt.repetition.consecutive = 0;
  Scheduler s(&backend, opt);
  std::mt19937 rng(5);
  std::map<std::string, GenerationRequest> reqs;
  for (int i = 0; i < 6; ++i) {
    GenerationRequest q;
    q.request_id = "q" + std::to_string(i);
    q.prompt.resize(1 + (i * 5) % 9);
    for (auto& t : q.prompt) t = static_cast<int32_t>(rng() % c.vocab_size);
    q.max_new_tokens = 4 + 3 * i;
    q.sampling.temperature = 0.0f;
    ASSERT_TRUE(s.Enqueue(q).ok());
    reqs[q.request_id] = q;
  }
  std::vector<GenerationResult> out;
  for (int i = 0; i < 1000 && s.HasWork(); ++i) ASSERT_TRUE(s.Step(&out).ok());
  ASSERT_EQ(out.size(), reqs.size());
  std::set<int32_t> distinct;
  for (const auto& r : out) distinct.insert(r.tokens.begin(), r.tokens.end());
  EXPECT_GT(distinct.size(), 5u);  // the model is far from degenerate
  for (const auto& r : out) {
    const GenerationRequest& q = reqs.at(r.request_id);
    Ref ref = GreedyByRecompute(*ref_model, q.prompt, q.max_new_tokens, c.eos_token_id);
    EXPECT_EQ(r.tokens, ref.tokens) << r.request_id;
    ASSERT_EQ(r.logprobs.size(), ref.logprobs.size());
    for (size_t t = 0; t < ref.logprobs.size(); ++t) {
      EXPECT_NEAR(r.logprobs[t], ref.logprobs[t], 2e-3) << r.request_id << " t " << t;
    }
    EXPECT_EQ(r.finish_reason,
              r.tokens.back() == c.eos_token_id ? FinishReason::kEos : FinishReason::kLength);
  }
  EXPECT_EQ(s.stats().state_bytes_in_use, 0);
}

TEST(ModelBackendTest, StateBytesCountLightningStatesAndKvCache) {
  const ModelConfig c = Tiny();
  // 2 lightning layers × H·D·D floats + 1 softmax layer × K and V × capacity·KVH·D floats.
  EXPECT_EQ(ModelBackend::StateBytesFor(c, 100), 4 * (2 * 2 * 16 * 16 + 2 * 100 * 1 * 16));
}

TEST(ModelBackendTest, ModelLessWorkerReceivesArchitectureThenInPlaceUpdates) {
  const ModelConfig c = Tiny();
  ModelBackend backend(nullptr, 2, 1);
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&backend, opt);
  std::vector<GenerationResult> out;

  GenerationRequest q;
  q.request_id = "a";
  q.prompt = {1, 2, 3};
  q.max_new_tokens = 6;
  q.sampling.temperature = 0.0f;
  ASSERT_TRUE(s.Enqueue(q).ok());
  EXPECT_FALSE(s.HasWork());

  WeightUpdate no_config;
  no_config.version = 1;
  no_config.params = Params(c, 1);
  EXPECT_EQ(s.ApplyWeights(no_config, &out).code(), absl::StatusCode::kFailedPrecondition);

  WeightUpdate first;
  first.version = 1;
  first.config_json = *model::HfConfigToJson(c);
  first.params = Params(c, 1);
  ASSERT_TRUE(s.ApplyWeights(first, &out).ok());
  while (s.HasWork()) ASSERT_TRUE(s.Step(&out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tokens, GreedyByRecompute(*MakeModel(c, 1), q.prompt, 6, c.eos_token_id).tokens);
  EXPECT_EQ(out[0].policy_version, 1);

  // Same architecture, new values: copied in place; generation follows the new weights.
  WeightUpdate second;
  second.version = 2;
  second.params = Params(c, 2);
  const float* storage_before = backend.model()->params().at("lm_head.weight").data.data();
  ASSERT_TRUE(s.ApplyWeights(second, &out).ok());
  EXPECT_EQ(backend.model()->params().at("lm_head.weight").data.data(), storage_before);
  q.request_id = "b";
  ASSERT_TRUE(s.Enqueue(q).ok());
  out.clear();
  while (s.HasWork()) ASSERT_TRUE(s.Step(&out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tokens, GreedyByRecompute(*MakeModel(c, 2), q.prompt, 6, c.eos_token_id).tokens);
  EXPECT_EQ(out[0].policy_version, 2);

  // A wrong shape is refused and the live version stays.
  WeightUpdate bad;
  bad.version = 3;
  bad.params = Params(c, 3);
  bad.params.at("lm_head.weight").shape = {1, 1};
  bad.params.at("lm_head.weight").data = {0.0f};
  EXPECT_FALSE(s.ApplyWeights(bad, &out).ok());
  EXPECT_EQ(s.version(), 2);
}

}  // namespace
}  // namespace rl::rollout
