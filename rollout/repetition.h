// Repetition circuit breakers (MiniMax-M1 §3 "pathological repetition"): stop a generation
// that has fallen into a loop before it burns its whole budget. Two independent rules,
// evaluated after every generated token (prompt tokens are never observed):
//
//   1. High-probability run (the M1 rule): trip when `consecutive` tokens in a row were each
//      sampled with probability p > `prob_threshold`, where p = exp(log softmax(z/T)[token])
//      is the full-vocabulary probability the sampler reports for the chosen token (the same
//      number returned as the token's log-prob). A token with p <= threshold resets the run.
//      M1 defaults: 3000 tokens, 0.99. consecutive = 0 disables the rule.
//   2. n-gram repeat: trip when the last n·k generated tokens are the last n-gram repeated k
//      times back to back (k = `ngram_repeats`), i.e. token[t−i] == token[t−i−n] for every
//      i in [0, n·(k−1)). A sequence with a shorter period that divides n (e.g. one token
//      repeated) trips as well. Checked in O(1) per token with a run counter of positions
//      matching the token n back. ngram = 0 disables the rule; otherwise ngram_repeats >= 2.
//
// Ownership: a breaker owns a ring buffer of n tokens, allocated once in the constructor;
// Observe() never allocates (it runs in the decode loop). Not thread-safe: one breaker per
// sequence, driven by one thread at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "rl/core/status.h"

namespace rl::config {
struct RepetitionSection;
}  // namespace rl::config

namespace rl::rollout {

struct RepetitionConfig {
  int64_t consecutive = 3000;    // M1 rule: run length N (0 = off)
  double prob_threshold = 0.99;  // M1 rule: p must be strictly above this
  int64_t ngram = 0;             // n-gram rule: n (0 = off)
  int64_t ngram_repeats = 0;     // n-gram rule: k back-to-back copies (>= 2 when ngram > 0)

  // From the YAML section rollout.repetition (treatment/penalty are the driver's business).
  static RepetitionConfig FromSection(const config::RepetitionSection& section);
  // InvalidArgument naming the field when the values are inconsistent.
  Status Validate() const;
};

enum class BreakerTrip { kNone = 0, kHighProbability = 1, kNgram = 2 };
std::string_view BreakerTripName(BreakerTrip trip);  // "none", "high_probability", "ngram"

class RepetitionBreaker {
 public:
  // config must be valid (Validate()); a programmer error otherwise.
  explicit RepetitionBreaker(const RepetitionConfig& config);

  // Forget everything observed (a new sequence); keeps the memory.
  void Reset();

  // Observes generated token `token` whose log-probability was `logprob`. Returns the rule
  // that trips at this token (kNone if none; the high-probability rule wins a tie). Once
  // tripped, later calls keep counting but the caller is expected to stop the sequence.
  BreakerTrip Observe(int32_t token, float logprob);

  int64_t high_prob_run() const { return high_prob_run_; }  // current run of p > threshold
  int64_t ngram_run() const { return ngram_run_; }          // positions matching n back
  int64_t observed() const { return observed_; }

 private:
  RepetitionConfig config_;
  std::vector<int32_t> ring_;  // last n tokens; ring_[observed_ % n]
  int64_t observed_ = 0;
  int64_t high_prob_run_ = 0;
  int64_t ngram_run_ = 0;
};

}  // namespace rl::rollout
