#include "rollout/repetition.h"

#include <cmath>
#include <string>

#include "rl/config/run_config.h"
#include "rl/core/logging.h"

namespace rl::rollout {

RepetitionConfig RepetitionConfig::FromSection(const config::RepetitionSection& section) {
  RepetitionConfig c;
  c.consecutive = section.consecutive;
  c.prob_threshold = section.prob_threshold;
  c.ngram = section.ngram;
  c.ngram_repeats = section.ngram_repeats;
  return c;
}

Status RepetitionConfig::Validate() const {
  if (consecutive < 0) {
    return absl::InvalidArgumentError("rollout.repetition.consecutive: must be >= 0, got " +
                                      std::to_string(consecutive));
  }
  if (!(prob_threshold >= 0.0 && prob_threshold <= 1.0)) {
    return absl::InvalidArgumentError("rollout.repetition.prob_threshold: must be in [0, 1], got " +
                                      std::to_string(prob_threshold));
  }
  if (ngram < 0) {
    return absl::InvalidArgumentError("rollout.repetition.ngram: must be >= 0, got " +
                                      std::to_string(ngram));
  }
  if (ngram > 0 && ngram_repeats < 2) {
    return absl::InvalidArgumentError(
        "rollout.repetition.ngram_repeats: must be >= 2 when ngram is set, got " +
        std::to_string(ngram_repeats));
  }
  if (ngram == 0 && ngram_repeats != 0) {
    return absl::InvalidArgumentError(
        "rollout.repetition.ngram_repeats: set but ngram is 0 (the n-gram breaker is off)");
  }
  return absl::OkStatus();
}

std::string_view BreakerTripName(BreakerTrip trip) {
  switch (trip) {
    case BreakerTrip::kNone:
      return "none";
    case BreakerTrip::kHighProbability:
      return "high_probability";
    case BreakerTrip::kNgram:
      return "ngram";
  }
  return "unknown";
}

RepetitionBreaker::RepetitionBreaker(const RepetitionConfig& config) : config_(config) {
  Status st = config.Validate();
  RL_CHECK(st.ok()) << st.message();
  ring_.assign(static_cast<size_t>(config_.ngram), 0);
}

void RepetitionBreaker::Reset() {
  observed_ = 0;
  high_prob_run_ = 0;
  ngram_run_ = 0;
}

BreakerTrip RepetitionBreaker::Observe(int32_t token, float logprob) {
  BreakerTrip trip = BreakerTrip::kNone;
  if (config_.consecutive > 0) {
    const double p = std::exp(static_cast<double>(logprob));
    high_prob_run_ = p > config_.prob_threshold ? high_prob_run_ + 1 : 0;
    if (high_prob_run_ >= config_.consecutive) trip = BreakerTrip::kHighProbability;
  }
  if (config_.ngram > 0) {
    const int64_t n = config_.ngram;
    int32_t& slot = ring_[static_cast<size_t>(observed_ % n)];  // holds token[t − n]
    if (observed_ >= n) ngram_run_ = slot == token ? ngram_run_ + 1 : 0;
    slot = token;
    if (trip == BreakerTrip::kNone && ngram_run_ >= n * (config_.ngram_repeats - 1)) {
      trip = BreakerTrip::kNgram;
    }
  }
  ++observed_;
  return trip;
}

}  // namespace rl::rollout
