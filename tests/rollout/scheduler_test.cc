// Continuous batching against generating each request alone, on the deterministic toy
// backend (the real model is covered by model_backend_test.cc).
#include "rollout/scheduler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "toy_backend.h"

namespace rl::rollout {
namespace {

using testing::ToyBackend;

// Double-precision log softmax(z)[k].
double RefLogProb(const std::vector<float>& z, int64_t k) {
  double m = -INFINITY, s = 0;
  for (float x : z) m = std::max(m, static_cast<double>(x));
  for (float x : z) s += std::exp(x - m);
  return z[k] - m - std::log(s);
}

struct RefSample {
  std::vector<int32_t> tokens;
  std::vector<double> logprobs;
  FinishReason reason;
};

// Greedy generation of one request, straight from the toy's logits function.
RefSample GreedyAlone(const ToyBackend& toy, std::vector<int32_t> prefix, int64_t budget,
                      int64_t eos) {
  RefSample r;
  std::vector<float> z(toy.vocab_size());
  for (;;) {
    toy.Logits(prefix, z.data());
    int64_t best = 0;
    for (int64_t v = 1; v < toy.vocab_size(); ++v) {
      if (z[v] > z[best]) best = v;
    }
    r.tokens.push_back(static_cast<int32_t>(best));
    r.logprobs.push_back(RefLogProb(z, best));
    prefix.push_back(static_cast<int32_t>(best));
    if (best == eos) {
      r.reason = FinishReason::kEos;
      return r;
    }
    if (static_cast<int64_t>(r.tokens.size()) == budget) {
      r.reason = FinishReason::kLength;
      return r;
    }
  }
}

GenerationRequest Req(const std::string& id, std::vector<int32_t> prompt, int64_t budget,
                      float temperature = 0.0f, uint64_t seed = 0) {
  GenerationRequest r;
  r.request_id = id;
  r.prompt = std::move(prompt);
  r.max_new_tokens = budget;
  r.sampling.temperature = temperature;
  r.seed = seed;
  return r;
}

std::vector<GenerationResult> RunAll(Scheduler& s, int max_iters = 100000) {
  std::vector<GenerationResult> out;
  for (int i = 0; i < max_iters && s.HasWork(); ++i) EXPECT_TRUE(s.Step(&out).ok());
  EXPECT_FALSE(s.HasWork());
  return out;
}

std::map<std::string, GenerationResult> ById(std::vector<GenerationResult> v) {
  std::map<std::string, GenerationResult> m;
  for (auto& r : v) m[r.request_id] = std::move(r);
  return m;
}

TEST(SchedulerTest, GreedyBatchedEqualsEachRequestAlone) {
  const int64_t V = 24, eos = 5;
  ToyBackend toy(V, eos);
  SchedulerOptions opt;
  opt.max_batch = 3;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 10; ++i) {
    reqs.push_back(Req("r" + std::to_string(i), {i + 1, 2 * i + 3}, 3 + 4 * i));
    reqs.back().group_index = i / 2;
    ASSERT_TRUE(s.Enqueue(reqs.back()).ok());
  }
  auto got = ById(RunAll(s));
  ASSERT_EQ(got.size(), reqs.size());
  int eos_count = 0, length_count = 0;
  for (const auto& q : reqs) {
    const GenerationResult& r = got.at(q.request_id);
    RefSample ref = GreedyAlone(toy, q.prompt, q.max_new_tokens, eos);
    EXPECT_EQ(r.tokens, ref.tokens) << q.request_id;
    EXPECT_EQ(r.finish_reason, ref.reason) << q.request_id;
    ASSERT_EQ(r.logprobs.size(), ref.logprobs.size());
    for (size_t t = 0; t < ref.logprobs.size(); ++t)
      EXPECT_NEAR(r.logprobs[t], ref.logprobs[t], 1e-5);
    EXPECT_EQ(r.group_index, q.group_index);
    EXPECT_EQ(r.prompt_tokens, 2);
    eos_count += r.finish_reason == FinishReason::kEos;
    length_count += r.finish_reason == FinishReason::kLength;
  }
  // The toy hits eos for some requests and the budget for others: both paths are exercised.
  EXPECT_GT(eos_count, 0);
  EXPECT_GT(length_count, 0);
  // Continuous batching: never more than max_batch, and full batches happened.
  int full = 0;
  for (int b : toy.step_sizes_) {
    EXPECT_LE(b, 3);
    full += b == 3;
  }
  EXPECT_GT(full, 0);
  EXPECT_EQ(s.stats().samples_finished, 10);
  EXPECT_EQ(s.stats().state_bytes_in_use, 0);
}

TEST(SchedulerTest, SampledBatchedEqualsAloneWithTheSameSeed) {
  const int64_t V = 16;
  SchedulerOptions opt;
  opt.max_batch = 4;
  opt.repetition.consecutive = 0;
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 7; ++i) reqs.push_back(Req("s" + std::to_string(i), {i}, 20, 0.7f, 100 + i));
  ToyBackend batched_toy(V, 2);
  Scheduler batched(&batched_toy, opt);
  for (const auto& q : reqs) ASSERT_TRUE(batched.Enqueue(q).ok());
  auto got = ById(RunAll(batched));
  for (const auto& q : reqs) {
    ToyBackend alone_toy(V, 2);
    Scheduler alone(&alone_toy, opt);
    ASSERT_TRUE(alone.Enqueue(q).ok());
    auto one = RunAll(alone);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(got.at(q.request_id).tokens, one[0].tokens);
    EXPECT_EQ(got.at(q.request_id).logprobs, one[0].logprobs);
    // Logprobs are those of softmax(z / T) over the full vocabulary.
    std::vector<int32_t> prefix = q.prompt;
    std::vector<float> z(V);
    for (size_t t = 0; t < one[0].tokens.size(); ++t) {
      alone_toy.Logits(prefix, z.data());
      for (auto& x : z) x /= 0.7f;
      EXPECT_NEAR(one[0].logprobs[t], RefLogProb(z, one[0].tokens[t]), 1e-4);
      prefix.push_back(one[0].tokens[t]);
    }
  }
}

TEST(SchedulerTest, BudgetIsExactWithoutEos) {
  ToyBackend toy(8, -1);
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  ASSERT_TRUE(s.Enqueue(Req("a", {1}, 1)).ok());
  ASSERT_TRUE(s.Enqueue(Req("b", {1, 2, 3}, 17)).ok());
  auto got = ById(RunAll(s));
  EXPECT_EQ(got.at("a").tokens.size(), 1u);
  EXPECT_EQ(got.at("b").tokens.size(), 17u);
  EXPECT_EQ(got.at("b").finish_reason, FinishReason::kLength);
}

TEST(SchedulerTest, StopTokensAndMaxPositionEndSequences) {
  ToyBackend toy(8, -1);
  toy.max_position_ = 10;
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  GenerationRequest q = Req("stop", {1}, 50);
  RefSample ref = GreedyAlone(toy, {1}, 50, -1);
  q.stop_tokens = {ref.tokens[2]};
  ASSERT_TRUE(s.Enqueue(q).ok());
  ASSERT_TRUE(s.Enqueue(Req("long", {1, 2, 3}, 50)).ok());
  ASSERT_TRUE(s.Enqueue(Req("too_long", std::vector<int32_t>(10, 1), 5)).ok());
  auto got = ById(RunAll(s));
  // Ends at the first occurrence of the stop token, included.
  const auto& stop = got.at("stop");
  EXPECT_EQ(stop.finish_reason, FinishReason::kEos);
  EXPECT_EQ(stop.tokens.back(), ref.tokens[2]);
  EXPECT_LE(stop.tokens.size(), 3u);
  EXPECT_EQ(got.at("long").tokens.size(), 7u);  // 3 + 7 = max_position
  EXPECT_EQ(got.at("long").finish_reason, FinishReason::kLength);
  EXPECT_EQ(got.at("too_long").finish_reason, FinishReason::kAborted);
  EXPECT_NE(got.at("too_long").error.find("max_position"), std::string::npos);
}

TEST(SchedulerTest, HighProbabilityBreakerTripsAndIsCounted) {
  ToyBackend toy(8, -1, /*with_model=*/false);
  SchedulerOptions opt;
  opt.repetition.consecutive = 10;
  opt.repetition.prob_threshold = 0.99;
  Scheduler s(&toy, opt);
  std::vector<GenerationResult> out;
  WeightUpdate w = ToyBackend::Weights(1, 0.5f, /*repeat=*/50.0f);
  ASSERT_TRUE(s.ApplyWeights(w, &out).ok());
  ASSERT_TRUE(s.Enqueue(Req("rep", {3}, 1000, 1.0f, 7)).ok());
  ASSERT_TRUE(s.Enqueue(Req("short", {3}, 9, 1.0f, 7)).ok());
  auto got = ById(RunAll(s));
  EXPECT_EQ(got.at("rep").finish_reason, FinishReason::kRepetition);
  EXPECT_EQ(got.at("rep").breaker, BreakerTrip::kHighProbability);
  EXPECT_EQ(got.at("rep").tokens.size(), 10u);
  for (float lp : got.at("rep").logprobs) EXPECT_GT(std::exp(lp), 0.99);
  EXPECT_EQ(got.at("short").finish_reason, FinishReason::kLength);  // 9 < 10
  EXPECT_EQ(s.stats().trips_high_probability, 1);
  EXPECT_EQ(s.stats().finished_repetition, 1);
}

TEST(SchedulerTest, NgramBreakerTrips) {
  ToyBackend toy(8, -1, false);
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  opt.repetition.ngram = 2;
  opt.repetition.ngram_repeats = 3;
  Scheduler s(&toy, opt);
  std::vector<GenerationResult> out;
  WeightUpdate w = ToyBackend::Weights(1, 0.5f, 50.0f);
  ASSERT_TRUE(s.ApplyWeights(w, &out).ok());
  ASSERT_TRUE(s.Enqueue(Req("rep", {3}, 100)).ok());
  auto got = RunAll(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].finish_reason, FinishReason::kRepetition);
  EXPECT_EQ(got[0].breaker, BreakerTrip::kNgram);
  EXPECT_EQ(got[0].tokens, std::vector<int32_t>(6, 3));  // greedy repeats the prompt token
  EXPECT_EQ(s.stats().trips_ngram, 1);
}

TEST(SchedulerTest, WeightUpdateBetweenStepsChangesTheVersionTag) {
  const int64_t V = 16;
  ToyBackend toy(V, -1, false);
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  std::vector<GenerationResult> out;
  ASSERT_TRUE(s.Enqueue(Req("a", {1, 2}, 12)).ok());
  EXPECT_FALSE(s.HasWork());  // no weights yet: the request waits
  ASSERT_TRUE(s.Step(&out).ok());
  EXPECT_TRUE(out.empty());
  WeightUpdate w1 = ToyBackend::Weights(7, 0.25f);
  ASSERT_TRUE(s.ApplyWeights(w1, &out).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.Step(&out).ok());  // tokens 0..3 (prefill + 3)
  WeightUpdate w2 = ToyBackend::Weights(8, 0.75f);
  ASSERT_TRUE(s.ApplyWeights(w2, &out).ok());
  while (s.HasWork()) ASSERT_TRUE(s.Step(&out).ok());
  ASSERT_EQ(out.size(), 1u);
  const GenerationResult& r = out[0];
  EXPECT_EQ(r.policy_version, 7);
  ASSERT_EQ(r.versions.size(), 2u);
  EXPECT_EQ(r.versions[0].version, 7);
  EXPECT_EQ(r.versions[0].first_token, 0);
  EXPECT_EQ(r.versions[1].version, 8);
  EXPECT_EQ(r.versions[1].first_token, 4);
  // Reference: the first 4 tokens greedy under w = 0.25, the rest under w = 0.75.
  ToyBackend ref1(V, -1), ref2(V, -1);
  WeightUpdate a = ToyBackend::Weights(7, 0.25f), b = ToyBackend::Weights(8, 0.75f);
  ASSERT_TRUE(ref1.Apply(a).ok());
  ASSERT_TRUE(ref2.Apply(b).ok());
  std::vector<int32_t> prefix = {1, 2};
  std::vector<float> z(V);
  for (size_t t = 0; t < r.tokens.size(); ++t) {
    (t < 4 ? ref1 : ref2).Logits(prefix, z.data());
    int64_t best = 0;
    for (int64_t v = 1; v < V; ++v) best = z[v] > z[best] ? v : best;
    EXPECT_EQ(r.tokens[t], best) << t;
    prefix.push_back(static_cast<int32_t>(best));
  }
  // Every backend step ran under a single version.
  EXPECT_EQ(toy.step_versions_.front(), 7);
  EXPECT_EQ(toy.step_versions_.back(), 8);
}

TEST(SchedulerTest, AdmissionControlBoundsStateBytes) {
  ToyBackend toy(16, -1);
  SchedulerOptions opt;
  opt.max_batch = 8;
  opt.repetition.consecutive = 0;
  // Each request of prompt 2 + budget 20 needs 1000 + 4·22 = 1088 bytes: two fit in 2500.
  opt.max_state_bytes = 2500;
  Scheduler s(&toy, opt);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.Enqueue(Req("m" + std::to_string(i), {1, i}, 20)).ok());
  ASSERT_TRUE(s.Enqueue(Req("huge", {1}, 10000)).ok());
  std::vector<GenerationResult> out;
  while (s.HasWork()) {
    ASSERT_TRUE(s.Step(&out).ok());
    EXPECT_LE(s.stats().state_bytes_in_use, 2500);
  }
  auto got = ById(std::move(out));
  for (int b : toy.step_sizes_) EXPECT_LE(b, 2);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(got.at("m" + std::to_string(i)).tokens.size(), 20u);
  EXPECT_EQ(got.at("huge").finish_reason, FinishReason::kAborted);
  EXPECT_NE(got.at("huge").error.find("state bytes"), std::string::npos);
}

TEST(SchedulerTest, MinPolicyVersionGatesAdmission) {
  ToyBackend toy(16, -1, false);
  SchedulerOptions opt;
  Scheduler s(&toy, opt);
  std::vector<GenerationResult> out;
  WeightUpdate w1 = ToyBackend::Weights(1, 0.1f);
  ASSERT_TRUE(s.ApplyWeights(w1, &out).ok());
  GenerationRequest q = Req("late", {1}, 3);
  q.min_policy_version = 2;
  ASSERT_TRUE(s.Enqueue(q).ok());
  EXPECT_FALSE(s.HasWork());
  WeightUpdate w2 = ToyBackend::Weights(2, 0.2f);
  ASSERT_TRUE(s.ApplyWeights(w2, &out).ok());
  auto got = RunAll(s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].policy_version, 2);
}

TEST(SchedulerTest, AbortReturnsPartialSamplesAndBadRequestsAreRejected) {
  ToyBackend toy(16, -1);
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  std::vector<GenerationResult> out;
  ASSERT_TRUE(s.Enqueue(Req("x", {1}, 100)).ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.Step(&out).ok());
  EXPECT_TRUE(s.Abort("x", "test", &out));
  EXPECT_FALSE(s.Abort("nope", "test", &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].finish_reason, FinishReason::kAborted);
  EXPECT_EQ(out[0].tokens.size(), 5u);
  EXPECT_FALSE(s.HasWork());

  EXPECT_EQ(s.Enqueue(Req("", {1}, 1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Enqueue(Req("e", {}, 1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Enqueue(Req("b", {1}, 0)).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(s.Enqueue(Req("d", {1}, 1)).ok());
  EXPECT_EQ(s.Enqueue(Req("d", {1}, 1)).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(s.Enqueue(Req("oov", {99}, 1)).ok());  // checked against the vocabulary at admission
  auto got = ById(RunAll(s));
  EXPECT_EQ(got.at("oov").finish_reason, FinishReason::kAborted);
  EXPECT_NE(got.at("oov").error.find("vocab_size"), std::string::npos);
}

}  // namespace
}  // namespace rl::rollout
