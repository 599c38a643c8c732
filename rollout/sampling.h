// Token sampling for the rollout engine: temperature, top-k, top-p, min-p, greedy, and an
// optional vocabulary bound.
//
// Semantics (RECIPE.md "Sampling temperature"): the returned log-prob of the chosen token is
// log softmax(z/T) over the FULL vocabulary — never renormalised after truncation — so the
// learner, which recomputes log softmax(z/T), sees r = 1 on-policy. T = 0 means greedy
// (argmax, lowest id on ties) and the log-prob is log softmax(z) (T = 1).
// Truncation order: top-k, then top-p on the renormalised mass of what top-k kept, then
// min-p (keep p ≥ min_p · p_max). At least the most likely token always survives.
// vocab_limit > 0 masks ids ≥ vocab_limit as if their logit were −∞: they are never sampled
// and are excluded from the softmax (the learner must apply the same mask; use it for the
// zero-embedding rows of a padded vocabulary).
//
// Randomness: SequenceRng is counter-based (a SplitMix64 hash of seed, sequence id and a
// counter), so a sequence's draws depend only on (seed, sequence, step) — not on batching
// or thread interleaving. A Sampler owns a workspace sized once to the vocabulary; it is
// not thread-safe (one per decode thread).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rl/core/status.h"

namespace rl::rollout {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;        // (0, 1]
  int64_t top_k = 0;         // 0 = off
  double min_p = 0.0;        // [0, 1]
  int64_t vocab_limit = 0;   // > 0: mask ids >= vocab_limit
};

Status ValidateSamplingParams(const SamplingParams& params);

class SequenceRng {
 public:
  SequenceRng(uint64_t seed, uint64_t sequence, uint64_t counter = 0)
      : key_(Mix(seed ^ Mix(sequence + 0x632be59bd9b4e019ull))), counter_(counter) {}
  uint64_t NextU64() { return Mix(key_ + 0x9e3779b97f4a7c15ull * ++counter_); }
  // Uniform in [0, 1) with 53 random bits.
  double NextUniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // Draws so far; a sequence resumes exactly with SequenceRng(seed, sequence, counter()).
  uint64_t counter() const { return counter_; }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t key_;
  uint64_t counter_;
};

struct Sampled {
  int32_t token = -1;
  float logprob = 0.0f;  // log softmax(z/T)[token] over the full (masked) vocabulary
};

class Sampler {
 public:
  explicit Sampler(int64_t vocab_size = 0) { Reserve(vocab_size); }
  void Reserve(int64_t vocab_size);

  // logits: (V,). FailedPrecondition when no allowed logit is finite (NaN counts as −∞).
  // params must be valid (ValidateSamplingParams); draws one uniform from rng unless greedy.
  StatusOr<Sampled> Sample(std::span<const float> logits, const SamplingParams& params,
                           SequenceRng& rng);

 private:
  std::vector<float> prob_;     // (V,) exp((z − z_max)/T), unnormalised
  std::vector<int32_t> order_;  // (V,) candidate ids
};

// log softmax(z/T)[token] over ids < limit (limit = V when vocab_limit <= 0), in double,
// NaN/−∞ logits excluded; T = 0 is read as 1. Sample() returns exactly
// rl::kernels::TokenLogProb(z, limit, T, token) — the function the learner uses — when every
// allowed logit is usable, and this otherwise.
double FullLogProb(std::span<const float> logits, double temperature, int64_t vocab_limit,
                   int32_t token);

}  // namespace rl::rollout
