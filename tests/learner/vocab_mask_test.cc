// The learner's vocabulary mask (LearnerOptions::vocab_limit) agrees with the rollout
// sampler's (SamplerOptions::vocab_limit): the log-prob the sampler returns for a token is
// the learner's log-prob with the same mask, both differ from the unmasked value when the
// masked logits are large, the masked LM-head gradient matches finite differences and
// leaves the masked rows alone, and a whole model's rollout log-probs are what the masked
// learner recomputes (on-policy ratio 1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "learner/backward/model_grad.h"
#include "learner/trainer.h"
#include "rl/model/forward.h"
#include "rollout/model_backend.h"
#include "rollout/sampling.h"
#include "rollout/scheduler.h"

namespace rl::learner {
namespace {

constexpr int64_t N = 4, C = 8, V = 40, kLimit = 25;
constexpr double kT = 0.7;

// Hidden rows share a direction u; the masked rows of W are 8·u, so every masked logit is
// about +8 while the allowed ones are O(1): masking changes every log-prob by a lot.
struct Head {
  std::vector<double> h, w;  // (N, C), (V, C)
};

Head MakeHead(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> u(C, 1.0 / std::sqrt(static_cast<double>(C)));  // |u| = 1
  Head hd;
  hd.h.resize(N * C);
  hd.w.resize(V * C);
  for (int64_t r = 0; r < N; ++r)
    for (int64_t c = 0; c < C; ++c) hd.h[r * C + c] = u[c] + 0.3 * g(rng);
  for (int64_t v = 0; v < V; ++v)
    for (int64_t c = 0; c < C; ++c) hd.w[v * C + c] = v < kLimit ? 0.5 * g(rng) : 8.0 * u[c];
  return hd;
}

template <typename T>
std::vector<T> Cast(const std::vector<double>& x) {
  return std::vector<T>(x.begin(), x.end());
}

// log softmax(z/T)[target] over ids < limit, in double, from the head directly.
double NaiveLogProb(const Head& hd, int64_t r, int32_t target, int64_t limit) {
  std::vector<double> z(limit);
  double mx = -1e300;
  for (int64_t v = 0; v < limit; ++v) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += hd.h[r * C + c] * hd.w[v * C + c];
    z[v] = s / kT;
    mx = std::max(mx, z[v]);
  }
  double sum = 0;
  for (double x : z) sum += std::exp(x - mx);
  return z[target] - mx - std::log(sum);
}

TEST(VocabMask, RolloutLogProbEqualsMaskedLearnerLogProb) {
  Head hd = MakeHead(1);
  auto hf = Cast<float>(hd.h), wf = Cast<float>(hd.w);
  rollout::Sampler sampler(V);
  std::vector<int32_t> targets(N);
  std::vector<float> rollout_lp(N), rollout_full(N);
  for (int64_t r = 0; r < N; ++r) {
    std::vector<float> z(V);  // the logits row, in float like the engine's
    for (int64_t v = 0; v < V; ++v) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += static_cast<double>(hf[r * C + c]) * wf[v * C + c];
      z[v] = static_cast<float>(s);
    }
    rollout::SamplerOptions opt;
    opt.temperature = kT;
    opt.vocab_limit = kLimit;
    auto s = sampler.SampleWithUniform(z, opt, (r + 0.5) / N);
    ASSERT_TRUE(s.ok());
    ASSERT_LT(s->token, kLimit);
    targets[r] = s->token;
    rollout_lp[r] = s->logprob;
    rollout_full[r] = static_cast<float>(rollout::FullLogProb(z, kT, 0, s->token));
  }
  std::vector<float> masked(N), full(N);
  LmHeadLogProbs<float>(hf.data(), wf.data(), N, C, V, targets, kT, masked.data(), nullptr, kLimit);
  LmHeadLogProbs<float>(hf.data(), wf.data(), N, C, V, targets, kT, full.data(), nullptr);
  std::vector<double> masked_d(N);
  LmHeadLogProbs<double>(hd.h.data(), hd.w.data(), N, C, V, targets, kT, masked_d.data(), nullptr,
                         kLimit);
  for (int64_t r = 0; r < N; ++r) {
    EXPECT_NEAR(rollout_lp[r], masked[r], 1e-5) << "row " << r;
    EXPECT_NEAR(masked_d[r], NaiveLogProb(hd, r, targets[r], kLimit), 1e-12) << "row " << r;
    EXPECT_NEAR(full[r], NaiveLogProb(hd, r, targets[r], V), 1e-4) << "row " << r;
    EXPECT_NEAR(rollout_full[r], full[r], 1e-4) << "row " << r;
    // The masked logits (≈ +8/T each) hold almost all the unmasked mass.
    EXPECT_GT(masked[r] - full[r], 2.0) << "row " << r;
    EXPECT_GT(rollout_lp[r] - rollout_full[r], 2.0) << "row " << r;
  }
}

TEST(VocabMask, MaskedHeadGradientMatchesFiniteDifferences) {
  Head hd = MakeHead(2);
  const std::vector<int32_t> targets = {3, -1, 24, 0};
  const std::vector<double> dlogp = {0.7, 0.0, -1.3, 0.4};
  auto objective = [&](const std::vector<double>& h, const std::vector<double>& w) {
    std::vector<double> lp(N);
    LmHeadLogProbs<double>(h.data(), w.data(), N, C, V, targets, kT, lp.data(), nullptr, kLimit);
    double f = 0;
    for (int64_t r = 0; r < N; ++r) f += dlogp[r] * lp[r];
    return f;
  };
  std::vector<double> dh(N * C), dw(V * C, 0.0);
  LmHeadBackward<double>(hd.h.data(), hd.w.data(), N, C, V, targets, kT, dlogp.data(), dh.data(),
                         dw.data(), kLimit);
  const double eps = 1e-6;
  for (int64_t i = 0; i < V * C; ++i) {
    auto wp = hd.w, wm = hd.w;
    wp[i] += eps;
    wm[i] -= eps;
    const double fd = (objective(hd.h, wp) - objective(hd.h, wm)) / (2 * eps);
    EXPECT_NEAR(dw[i], fd, 1e-6) << "W[" << i / C << "," << i % C << "]";
    if (i / C >= kLimit) {
      EXPECT_EQ(dw[i], 0.0) << "masked row " << i / C;
    }
  }
  for (int64_t i = 0; i < N * C; ++i) {
    auto hp = hd.h, hm = hd.h;
    hp[i] += eps;
    hm[i] -= eps;
    const double fd = (objective(hp, hd.w) - objective(hm, hd.w)) / (2 * eps);
    EXPECT_NEAR(dh[i], fd, 1e-6) << "h[" << i << "]";
  }
  // The float path (LogitGradient) agrees with the double one.
  auto hf = Cast<float>(hd.h), wf = Cast<float>(hd.w);
  std::vector<float> dlf(dlogp.begin(), dlogp.end()), dhf(N * C), dwf(V * C, 0.0f);
  LmHeadBackward<float>(hf.data(), wf.data(), N, C, V, targets, kT, dlf.data(), dhf.data(),
                        dwf.data(), kLimit);
  for (int64_t i = 0; i < V * C; ++i) EXPECT_NEAR(dwf[i], dw[i], 1e-4);
}

model::ModelConfig SmallConfig() {
  model::ModelConfig c;
  c.vocab_size = 64;
  c.hidden_size = 16;
  c.num_layers = 2;
  c.layer_types = {model::LayerType::kLightning, model::LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 8;
  c.num_kv_heads = 1;
  c.rotary_dim = 4;
  c.intermediate_size = 12;
  c.num_experts = 2;
  c.experts_per_token = 1;
  c.max_position = 128;
  return c;
}

TEST(VocabMask, LearnerRecomputesTheMaskedRolloutLogProbs) {
  constexpr int64_t kModelLimit = 40;
  model::ModelConfig c = SmallConfig();
  model::ParamMap params = model::InitParams(c, 5);
  for (auto& [name, t] : params) {
    if (t.shape.size() > 1)
      for (auto& x : t.data) x *= 10.0f;
  }
  // Padded rows that matter: rows 40..63 of the LM head are 2× rows 0..23.
  auto& head = params.at(LmHeadName(c)).data;
  for (int64_t v = kModelLimit; v < c.vocab_size; ++v)
    for (int64_t k = 0; k < c.hidden_size; ++k)
      head[v * c.hidden_size + k] = 2.0f * head[(v - kModelLimit) * c.hidden_size + k];

  // Rollout: the scheduler over the engine's model, sampling at T = 1 with the mask.
  auto m = model::Model::Create(c, params, 1);
  ASSERT_TRUE(m.ok());
  rollout::ModelBackend backend(std::move(*m), 4, 1);
  rollout::SchedulerOptions so;
  so.max_batch = 4;
  rollout::Scheduler sched(&backend, so);
  for (int i = 0; i < 4; ++i) {
    rollout::GenerationRequest q;
    q.request_id = "r" + std::to_string(i);
    q.prompt = {static_cast<int32_t>(1 + i), 7, static_cast<int32_t>(20 + i)};
    q.max_new_tokens = 12;
    q.sampling.temperature = 1.0;
    q.sampling.vocab_limit = kModelLimit;
    q.seed = 100 + i;
    ASSERT_TRUE(sched.Enqueue(q).ok());
  }
  std::vector<rollout::GenerationResult> done;
  while (sched.HasWork()) ASSERT_TRUE(sched.Step(&done).ok());
  ASSERT_EQ(done.size(), 4u);

  RlBatch b;
  b.offsets.push_back(0);
  for (const auto& r : done) {
    const int32_t i = r.request_id[1] - '0';
    const std::vector<int32_t> prompt = {1 + i, 7, 20 + i};
    b.tokens.insert(b.tokens.end(), prompt.begin(), prompt.end());
    b.old_logp.insert(b.old_logp.end(), prompt.size(), 0.0f);
    for (int32_t t : r.tokens) ASSERT_LT(t, kModelLimit);
    b.tokens.insert(b.tokens.end(), r.tokens.begin(), r.tokens.end());
    b.old_logp.insert(b.old_logp.end(), r.logprobs.begin(), r.logprobs.end());
    b.offsets.push_back(static_cast<int64_t>(b.tokens.size()));
    b.prompt_lens.push_back(3);
    b.advantages.push_back(i % 2 ? 1.0 : -1.0);
  }
  LearnerOptions opts;
  opts.vocab_limit = kModelLimit;
  auto masked = Learner::Create(c, params, opts);
  ASSERT_TRUE(masked.ok()) << masked.status();
  auto unmasked = Learner::Create(c, params, LearnerOptions{});
  ASSERT_TRUE(unmasked.ok());
  auto lp = (*masked)->TokenLogProbs(b);
  auto lp_full = (*unmasked)->TokenLogProbs(b);
  ASSERT_TRUE(lp.ok() && lp_full.ok());
  double worst = 0, gap = 0;
  int64_t n = 0;
  for (size_t s = 0; s + 1 < b.offsets.size(); ++s) {
    for (int64_t p = b.offsets[s] + b.prompt_lens[s]; p < b.offsets[s + 1]; ++p) {
      // Engine decode vs learner packed forward (two float implementations; measured
      // 4.8e-7 here); the mask itself changes each value by far more.
      EXPECT_NEAR((*lp)[p], b.old_logp[p], 1e-5) << "position " << p;
      worst = std::max(worst, static_cast<double>(std::abs((*lp)[p] - b.old_logp[p])));
      gap += std::abs((*lp_full)[p] - b.old_logp[p]);
      ++n;
    }
  }
  std::printf("max |rollout − masked learner| %.3g; mean |rollout − unmasked learner| %.3g\n",
              worst, gap / static_cast<double>(n));
  EXPECT_GT(gap / static_cast<double>(n), 0.1);
  // On-policy first update: the masked learner's probabilities are the rollout's.
  auto mm = (*masked)->TrainStep(b);
  auto mu = (*unmasked)->TrainStep(b);
  ASSERT_TRUE(mm.ok() && mu.ok());
  EXPECT_LT((*mm)["mismatch/abs_diff"], 1e-4);
  EXPECT_GT((*mu)["mismatch/abs_diff"], 10 * (*mm)["mismatch/abs_diff"]);
}

TEST(VocabMask, BadLimitsAndMaskedTokensAreErrors) {
  model::ModelConfig c = SmallConfig();
  LearnerOptions opts;
  opts.vocab_limit = 65;
  EXPECT_EQ(Learner::Create(c, model::InitParams(c, 1), opts).status().code(),
            absl::StatusCode::kInvalidArgument);
  opts.vocab_limit = 40;
  auto l = Learner::Create(c, model::InitParams(c, 1), opts);
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE((*l)->set_vocab_limit(-1).ok());
  PackedSequences b;
  b.tokens = {1, 2, 50, 3};  // a response token in the masked range
  b.offsets = {0, 4};
  b.prompt_lens = {2};
  auto r = (*l)->TokenLogProbs(b);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(r.status().message()).find("vocab_limit"), std::string::npos);
  ASSERT_TRUE((*l)->set_vocab_limit(0).ok());  // off again: the token is fine
  EXPECT_TRUE((*l)->TokenLogProbs(b).ok());
  b.tokens = {50, 2, 3, 4};  // masked ids in the prompt are allowed
  ASSERT_TRUE((*l)->set_vocab_limit(40).ok());
  EXPECT_TRUE((*l)->TokenLogProbs(b).ok());
}

}  // namespace
}  // namespace rl::learner
