// Repetition breakers against a naive reference that re-scans the whole history after every
// token, plus hand-computed cases.
#include "rollout/repetition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "rl/config/run_config.h"

namespace rl::rollout {
namespace {

// The documented rules, evaluated from scratch over the full history.
BreakerTrip NaiveTrip(const RepetitionConfig& c, const std::vector<int32_t>& toks,
                      const std::vector<double>& probs) {
  const int64_t t = static_cast<int64_t>(toks.size());
  if (c.consecutive > 0 && t >= c.consecutive) {
    bool all = true;
    for (int64_t i = t - c.consecutive; i < t; ++i) all = all && probs[i] > c.prob_threshold;
    if (all) return BreakerTrip::kHighProbability;
  }
  if (c.ngram > 0) {
    const int64_t n = c.ngram, k = c.ngram_repeats;
    if (t >= n * k) {
      // k copies of the last n-gram back to back.
      bool all = true;
      for (int64_t copy = 1; copy < k; ++copy) {
        for (int64_t j = 0; j < n; ++j)
          all = all && toks[t - n + j] == toks[t - n * (copy + 1) + j];
      }
      if (all) return BreakerTrip::kNgram;
    }
  }
  return BreakerTrip::kNone;
}

TEST(RepetitionTest, HighProbabilityRunTripsAtExactlyN) {
  RepetitionConfig c;
  c.consecutive = 5;
  c.prob_threshold = 0.9;
  RepetitionBreaker b(c);
  const float hi = std::log(0.95f), lo = std::log(0.5f);
  // 4 high, 1 low (resets), then 5 high: trips at the 5th of the second run.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.Observe(i, hi), BreakerTrip::kNone);
  EXPECT_EQ(b.Observe(9, lo), BreakerTrip::kNone);
  EXPECT_EQ(b.high_prob_run(), 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.Observe(i, hi), BreakerTrip::kNone) << i;
  EXPECT_EQ(b.Observe(7, hi), BreakerTrip::kHighProbability);
  EXPECT_EQ(b.high_prob_run(), 5);
}

TEST(RepetitionTest, LowProbabilityTokenResetsTheRun) {
  RepetitionConfig c;
  c.consecutive = 2;
  c.prob_threshold = 0.5;
  RepetitionBreaker b(c);
  const float half = static_cast<float>(std::log(0.25));  // p = 0.25 < 0.5
  EXPECT_EQ(b.Observe(1, 0.0f), BreakerTrip::kNone);      // p = 1 > 0.5
  EXPECT_EQ(b.Observe(1, half), BreakerTrip::kNone);
  EXPECT_EQ(b.high_prob_run(), 0);
  EXPECT_EQ(b.Observe(1, 0.0f), BreakerTrip::kNone);
  EXPECT_EQ(b.Observe(1, 0.0f), BreakerTrip::kHighProbability);
}

TEST(RepetitionTest, M1DefaultsNeed3000Tokens) {
  RepetitionConfig c;  // 3000, 0.99
  RepetitionBreaker b(c);
  const float lp = std::log(0.995f);
  for (int i = 0; i < 2999; ++i) ASSERT_EQ(b.Observe(i % 7, lp), BreakerTrip::kNone) << i;
  EXPECT_EQ(b.Observe(0, lp), BreakerTrip::kHighProbability);
}

TEST(RepetitionTest, NgramHandCases) {
  RepetitionConfig c;
  c.consecutive = 0;
  c.ngram = 3;
  c.ngram_repeats = 3;
  RepetitionBreaker b(c);
  // "1 2 3" three times back to back trips at the 9th token, not before.
  const std::vector<int32_t> seq = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  for (size_t i = 0; i + 1 < seq.size(); ++i)
    EXPECT_EQ(b.Observe(seq[i], 0.0f), BreakerTrip::kNone);
  EXPECT_EQ(b.Observe(seq.back(), 0.0f), BreakerTrip::kNgram);

  // A single repeated token has period 1, which divides 3: trips after 9 tokens.
  b.Reset();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(b.Observe(4, -5.0f), BreakerTrip::kNone);
  EXPECT_EQ(b.Observe(4, -5.0f), BreakerTrip::kNgram);

  // Interrupted repeats do not trip: 1 2 3 1 2 3 1 2 4 1 2 3.
  b.Reset();
  for (int32_t t : {1, 2, 3, 1, 2, 3, 1, 2, 4, 1, 2, 3}) {
    EXPECT_EQ(b.Observe(t, 0.0f), BreakerTrip::kNone);
  }
}

TEST(RepetitionTest, DisabledRulesNeverTrip) {
  RepetitionConfig c;
  c.consecutive = 0;
  RepetitionBreaker b(c);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(b.Observe(1, 0.0f), BreakerTrip::kNone);
}

TEST(RepetitionTest, MatchesNaiveReferenceOnRandomStreams) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    RepetitionConfig c;
    c.consecutive = std::uniform_int_distribution<int>(0, 6)(rng);
    c.prob_threshold = std::uniform_real_distribution<double>(0.3, 0.9)(rng);
    c.ngram = std::uniform_int_distribution<int>(0, 4)(rng);
    c.ngram_repeats = c.ngram > 0 ? std::uniform_int_distribution<int>(2, 4)(rng) : 0;
    ASSERT_TRUE(c.Validate().ok());
    RepetitionBreaker b(c);
    const int alphabet = std::uniform_int_distribution<int>(1, 3)(rng);
    std::vector<int32_t> toks;
    std::vector<double> probs;
    for (int t = 0; t < 200; ++t) {
      // Mostly periodic streams so both rules fire often.
      int32_t tok = (rng() % 4 == 0 || toks.size() < 3) ? static_cast<int32_t>(rng() % alphabet)
                                                        : toks[toks.size() - 1 - (rng() % 3)];
      float lp = std::log(std::uniform_real_distribution<float>(0.05f, 1.0f)(rng));
      toks.push_back(tok);
      probs.push_back(std::exp(static_cast<double>(lp)));
      BreakerTrip got = b.Observe(tok, lp);
      ASSERT_EQ(got, NaiveTrip(c, toks, probs)) << "trial " << trial << " t " << t;
      if (got != BreakerTrip::kNone) {
        b.Reset();
        toks.clear();
        probs.clear();
      }
    }
  }
}

TEST(RepetitionTest, ValidateNamesTheField) {
  RepetitionConfig c;
  c.ngram = 4;
  c.ngram_repeats = 1;
  Status st = c.Validate();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("ngram_repeats"), std::string::npos);
  c.ngram = 0;
  c.ngram_repeats = 3;
  EXPECT_FALSE(c.Validate().ok());
  c.ngram_repeats = 0;
  c.prob_threshold = 1.5;
  EXPECT_NE(c.Validate().message().find("prob_threshold"), std::string::npos);
}

TEST(RepetitionTest, FromSectionCopiesYamlFields) {
  config::RepetitionSection s;
  s.consecutive = 17;
  s.prob_threshold = 0.5;
  s.ngram = 2;
  s.ngram_repeats = 5;
  RepetitionConfig c = RepetitionConfig::FromSection(s);
  EXPECT_EQ(c.consecutive, 17);
  EXPECT_EQ(c.prob_threshold, 0.5);
  EXPECT_EQ(c.ngram, 2);
  EXPECT_EQ(c.ngram_repeats, 5);
}

}  // namespace
}  // namespace rl::rollout
