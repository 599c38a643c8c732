// The model forward against the double-precision reference, and the equivalences the engine
// promises: packed prefill == each sequence alone, chunked prefill == one prefill, token-by-token
// decode == prefill logits, batched decode of different-length sequences == each alone.
#include "rl/model/forward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rl/kernels/log_softmax.h"
#include "rl/model/forward_internal.h"
#include "tests/kernels/test_util.h"
#include "tests/model/reference_model.h"

namespace rl::model {
namespace {

using kernels::testing::RelErr;

ModelConfig TinyConfig(bool postnorm = true) {
  ModelConfig c;
  c.vocab_size = 97;
  c.hidden_size = 64;
  c.num_layers = 4;
  c.layer_types = {LayerType::kLightning, LayerType::kLightning, LayerType::kSoftmax,
                   LayerType::kLightning};
  c.num_heads = 4;
  c.head_dim = 16;
  c.num_kv_heads = 2;
  c.rotary_dim = 8;
  c.rope_theta = 10000.0;
  c.intermediate_size = 48;
  c.num_experts = 4;
  c.experts_per_token = 2;
  c.postnorm = postnorm;
  const double alpha = std::pow(2.0 * c.num_layers, 0.25);
  c.lightning_alpha = c.softmax_alpha = c.mlp_alpha = alpha;
  c.lightning_beta = 0.9;
  c.softmax_beta = 1.1;
  c.mlp_beta = 1.0;
  return c;
}

// Larger weights than InitParams' 0.02 so attention and routing are far from uniform; norm
// weights around 1.
ParamMap TestParams(const ModelConfig& c, uint64_t seed) {
  ParamMap p = InitParams(c, seed);
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (auto& [name, t] : p) {
    for (auto& x : t.data) x = t.shape.size() == 1 ? 1.0f + 0.2f * n(rng) : x * 8.0f;
  }
  return p;
}

std::unique_ptr<Model> MakeModel(const ModelConfig& c, uint64_t seed = 7) {
  auto m = Model::Create(c, TestParams(c, seed), 2);
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(m).value();
}

std::vector<int32_t> RandomTokens(int64_t n, int64_t V, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % V);
  return t;
}

std::vector<float> LogitsAlone(const Model& m, const std::vector<int32_t>& tokens) {
  const int64_t off[2] = {0, static_cast<int64_t>(tokens.size())};
  std::vector<float> logits;
  EXPECT_TRUE(PackedLogits(m, {tokens, off}, &logits).ok());
  return logits;
}

std::vector<float> Slice(const std::vector<float>& v, int64_t begin, int64_t end) {
  return std::vector<float>(v.begin() + begin, v.begin() + end);
}

TEST(Forward, MatchesDoubleReference) {
  for (bool postnorm : {true, false}) {
    const ModelConfig c = TinyConfig(postnorm);
    auto m = MakeModel(c);
    const auto tokens = RandomTokens(75, c.vocab_size, 3);  // > one 64-block of lightning
    const auto ref = testing::ReferenceModel(c, m->params()).Logits(tokens);
    EXPECT_LE(RelErr(LogitsAlone(*m, tokens), ref), 1e-4) << "postnorm=" << postnorm;
  }
}

TEST(Forward, TransformersDialectUsesItsSlopeFactor) {
  ModelConfig c = TinyConfig();
  c.dialect = "transformers";
  auto m = MakeModel(c);
  EXPECT_DOUBLE_EQ(m->slopes(3)[0], std::pow(2.0, -2.0) * (1.0 - 3.0 / (3.0 + 1e-5) + 1e-5));
  const auto tokens = RandomTokens(40, c.vocab_size, 4);
  const auto ref = testing::ReferenceModel(c, m->params()).Logits(tokens);
  EXPECT_LE(RelErr(LogitsAlone(*m, tokens), ref), 1e-4);
}

TEST(Forward, PackedPrefillEqualsEachSequenceAlone) {
  const ModelConfig c = TinyConfig();
  auto m = MakeModel(c);
  const std::vector<int64_t> lens = {5, 0, 40, 1, 130};
  std::vector<int32_t> all;
  std::vector<int64_t> off = {0};
  std::vector<std::vector<int32_t>> seqs;
  for (size_t i = 0; i < lens.size(); ++i) {
    seqs.push_back(RandomTokens(lens[i], c.vocab_size, 100 + i));
    all.insert(all.end(), seqs.back().begin(), seqs.back().end());
    off.push_back(static_cast<int64_t>(all.size()));
  }
  std::vector<float> packed;
  ASSERT_TRUE(PackedLogits(*m, {all, off}, &packed).ok());
  const int64_t V = c.vocab_size;
  for (size_t i = 0; i < lens.size(); ++i) {
    if (lens[i] == 0) continue;
    EXPECT_LE(RelErr(Slice(packed, off[i] * V, off[i + 1] * V), LogitsAlone(*m, seqs[i])), 1e-5)
        << "sequence " << i;
  }
  // Log-probs of the next token under temperature = log softmax(z/T) of those logits.
  std::vector<int32_t> targets(all.size(), -1);
  for (size_t i = 0; i < lens.size(); ++i) {
    for (int64_t t = off[i]; t + 1 < off[i + 1]; ++t) targets[t] = all[t + 1];
  }
  std::vector<float> lp(all.size());
  ASSERT_TRUE(PackedTokenLogProbs(*m, {all, off}, targets, 0.8f, lp).ok());
  for (size_t t = 0; t < all.size(); ++t) {
    if (targets[t] < 0) {
      EXPECT_EQ(lp[t], 0.0f);
      continue;
    }
    double mx = -1e300, sum = 0;
    for (int64_t v = 0; v < V; ++v) mx = std::max(mx, packed[t * V + v] / 0.8);
    for (int64_t v = 0; v < V; ++v) sum += std::exp(packed[t * V + v] / 0.8 - mx);
    EXPECT_NEAR(lp[t], packed[t * V + targets[t]] / 0.8 - mx - std::log(sum), 1e-4);
  }
  // Saved activations: the embedding enters layer 0; the LM head of final_hidden = logits.
  ForwardActivations acts;
  ASSERT_TRUE(ForwardPacked(*m, {all, off}, &acts).ok());
  const int64_t C = c.hidden_size;
  for (int64_t i = 0; i < C; ++i) EXPECT_EQ(acts.layer_inputs[i], m->embedding()[all[0] * C + i]);
  std::vector<float> z(all.size() * V);
  LmHead(*m, acts.final_hidden.data(), all.size(), z.data());
  EXPECT_LE(RelErr(z, packed), 1e-6);
}

TEST(Forward, DecodeTokenByTokenReproducesPrefillLogits) {
  const ModelConfig c = TinyConfig();
  auto m = MakeModel(c);
  const auto tokens = RandomTokens(90, c.vocab_size, 5);
  const auto full = LogitsAlone(*m, tokens);
  const int64_t V = c.vocab_size;
  // Prefill 20 tokens, then decode the rest one by one.
  DecodeState st(c, 128);
  std::vector<float> last(V);
  ASSERT_TRUE(Prefill(*m, std::span(tokens).first(20), &st, last).ok());
  EXPECT_LE(RelErr(last, Slice(full, 19 * V, 20 * V)), 1e-4);
  Workspace ws(c, 1);
  DecodeState* sp[1] = {&st};
  for (size_t t = 20; t < tokens.size(); ++t) {
    ASSERT_TRUE(DecodeStep(*m, sp, std::span(tokens).subspan(t, 1), &ws, last).ok());
    EXPECT_LE(RelErr(last, Slice(full, t * V, (t + 1) * V)), 1e-4) << "t=" << t;
  }
  EXPECT_EQ(st.position(), 90);
  // Chunked prefill (33 + 57) from the cached state == one prefill.
  DecodeState a(c, 90), b(c, 90);
  std::vector<float> la(V), lb(V);
  ASSERT_TRUE(Prefill(*m, tokens, &a, la).ok());
  ASSERT_TRUE(Prefill(*m, std::span(tokens).first(33), &b, {}).ok());
  ASSERT_TRUE(Prefill(*m, std::span(tokens).subspan(33), &b, lb).ok());
  EXPECT_LE(RelErr(lb, la), 1e-5);
  EXPECT_LE(RelErr(la, Slice(full, 89 * V, 90 * V)), 1e-5);
}

TEST(Forward, BatchedDecodeOfDifferentLengthsEqualsEachAlone) {
  const ModelConfig c = TinyConfig();
  auto m = MakeModel(c);
  const int64_t V = c.vocab_size, B = 4, steps = 6;
  const std::vector<int64_t> prompt = {3, 17, 1, 40};
  std::vector<std::vector<int32_t>> seqs;
  std::vector<DecodeState> states;
  for (int64_t i = 0; i < B; ++i) {
    seqs.push_back(RandomTokens(prompt[i] + steps, V, 50 + i));
    states.emplace_back(c, 64);
  }
  // Prefill all prompts together (GEMMs across sequences), then decode all together.
  std::vector<int32_t> packed;
  std::vector<int64_t> off = {0};
  std::vector<DecodeState*> ptrs;
  for (int64_t i = 0; i < B; ++i) {
    packed.insert(packed.end(), seqs[i].begin(), seqs[i].begin() + prompt[i]);
    off.push_back(static_cast<int64_t>(packed.size()));
    ptrs.push_back(&states[i]);
  }
  Workspace ws(c, B);
  std::vector<float> logits(B * V);
  ASSERT_TRUE(PrefillBatch(*m, {packed, off}, ptrs, &ws, logits).ok());
  std::vector<std::vector<float>> alone;
  for (int64_t i = 0; i < B; ++i) alone.push_back(LogitsAlone(*m, seqs[i]));
  for (int64_t i = 0; i < B; ++i) {
    EXPECT_LE(RelErr(Slice(logits, i * V, (i + 1) * V),
                     Slice(alone[i], (prompt[i] - 1) * V, prompt[i] * V)), 1e-4);
  }
  for (int64_t s = 0; s < steps; ++s) {
    std::vector<int32_t> tok(B);
    for (int64_t i = 0; i < B; ++i) tok[i] = seqs[i][prompt[i] + s];
    ASSERT_TRUE(DecodeStep(*m, ptrs, tok, &ws, logits).ok());
    for (int64_t i = 0; i < B; ++i) {
      const int64_t t = prompt[i] + s;
      EXPECT_LE(RelErr(Slice(logits, i * V, (i + 1) * V), Slice(alone[i], t * V, (t + 1) * V)), 1e-4)
          << "seq " << i << " step " << s;
    }
  }
}

// Sizes above the thresholds where GEMMs split across the team and attention heads run in
// parallel: a 3-thread model matches the double reference and a 1-thread model.
TEST(Forward, ParallelPathsMatchReferenceAndSerial) {
  ModelConfig c = TinyConfig();
  c.hidden_size = 128;
  c.head_dim = 32;
  c.rotary_dim = 16;
  c.intermediate_size = 256;
  ParamMap p = TestParams(c, 11);
  auto serial = Model::Create(c, p, 1);
  auto parallel = Model::Create(c, p, 3);
  ASSERT_TRUE(serial.ok() && parallel.ok());
  const auto tokens = RandomTokens(300, c.vocab_size, 9);
  const auto ref = testing::ReferenceModel(c, p).Logits(tokens);
  const auto a = LogitsAlone(**parallel, tokens), b = LogitsAlone(**serial, tokens);
  EXPECT_LE(RelErr(a, ref), 1e-4);
  EXPECT_LE(RelErr(a, b), 1e-5);
  // Batched decode of 8 sequences of 300 tokens: attention work above the threshold.
  const int64_t B = 8, V = c.vocab_size;
  std::vector<DecodeState> states;
  std::vector<DecodeState*> ptrs;
  for (int64_t i = 0; i < B; ++i) states.emplace_back(c, 301);
  for (auto& s : states) ptrs.push_back(&s);
  std::vector<int32_t> packed;
  std::vector<int64_t> off = {0};
  for (int64_t i = 0; i < B; ++i) {
    packed.insert(packed.end(), tokens.begin(), tokens.begin() + 299);
    off.push_back(static_cast<int64_t>(packed.size()));
  }
  Workspace ws(c, B);
  ASSERT_TRUE(PrefillBatch(**parallel, {packed, off}, ptrs, &ws, {}).ok());
  std::vector<int32_t> last(B, tokens[299]);
  std::vector<float> logits(B * V);
  ASSERT_TRUE(DecodeStep(**parallel, ptrs, last, &ws, logits).ok());
  for (int64_t i = 0; i < B; ++i) {
    EXPECT_LE(RelErr(Slice(logits, i * V, (i + 1) * V), Slice(b, 299 * V, 300 * V)), 1e-4) << i;
  }
}

// The learner's recomputation: one layer run from its saved input reproduces the next
// saved input exactly (same code, same buffers).
TEST(Forward, LayerForwardRecomputesFromSavedInputs) {
  const ModelConfig c = TinyConfig();
  auto m = MakeModel(c);
  const auto tokens = RandomTokens(50, c.vocab_size, 21);
  const int64_t off[3] = {0, 20, 50}, T = 50, C = c.hidden_size;
  ForwardActivations acts;
  ASSERT_TRUE(ForwardPacked(*m, {tokens, off}, &acts).ok());
  Workspace ws(c, T);
  auto& buf = ws.buffers();
  const PackedTokens batch{tokens, off};
  SetPositions(batch, {}, buf);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    std::copy_n(acts.layer_inputs.data() + l * T * C, T * C, buf.x.data());
    LayerForward(*m, l, batch, {}, buf, false);
    std::vector<float> got(buf.x.begin(), buf.x.begin() + T * C);
    std::vector<float> want(acts.layer_inputs.begin() + (l + 1) * T * C,
                            acts.layer_inputs.begin() + (l + 2) * T * C);
    EXPECT_EQ(got, want) << "layer " << l;
  }
}

TEST(Forward, RejectsBadInput) {
  const ModelConfig c = TinyConfig();
  auto m = MakeModel(c);
  std::vector<int32_t> bad = {1, 2, 97};
  const int64_t off[2] = {0, 3};
  std::vector<float> logits;
  EXPECT_EQ(PackedLogits(*m, {bad, off}, &logits).code(), absl::StatusCode::kInvalidArgument);
  const int64_t bad_off[2] = {0, 2};
  std::vector<int32_t> ok = {1, 2, 3};
  EXPECT_EQ(PackedLogits(*m, {ok, bad_off}, &logits).code(), absl::StatusCode::kInvalidArgument);
  DecodeState st(c, 2);
  EXPECT_EQ(Prefill(*m, ok, &st, {}).code(), absl::StatusCode::kOutOfRange);
  Workspace ws(c, 1);
  DecodeState s1(c, 4), s2(c, 4);
  DecodeState* two[2] = {&s1, &s2};
  std::vector<int32_t> tok = {1, 2};
  std::vector<float> z(2 * c.vocab_size);
  EXPECT_EQ(DecodeStep(*m, two, tok, &ws, z).code(), absl::StatusCode::kFailedPrecondition);
  ParamMap p = TestParams(c, 1);
  p.erase("model.norm.weight");
  EXPECT_FALSE(Model::Create(c, std::move(p)).ok());
}

}  // namespace
}  // namespace rl::model
