// Unit tests of the driver's curriculum glue (rl/driver/curriculum_hooks.h) on synthetic
// inputs, against hand-computed cases and naive reference formulas.
#include "rl/driver/curriculum_hooks.h"

#include "rl/config/config.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rl::driver {
namespace {

curricula::DifficultyOptions Opts(std::string mode = "drop", double downweight = 0.1) {
  curricula::DifficultyOptions o;
  o.enabled = true;
  o.window = 2;
  o.upper = 0.9;
  o.drop_unsolved = true;
  o.mode = std::move(mode);
  o.downweight = downweight;
  return o;
}

// next() over a fixed list of ids.
std::function<StatusOr<tasks::Task>()> Seq(std::vector<std::string> ids, int* drawn) {
  return [ids, drawn]() -> StatusOr<tasks::Task> {
    tasks::Task t;
    t.id = ids[static_cast<size_t>(*drawn) % ids.size()];
    ++*drawn;
    return t;
  };
}

void Fill(curricula::DifficultyFilter& f) {
  for (int i = 0; i < 2; ++i) {
    f.Record("easy", true, 1);
    f.Record("unsolved", false, 1);
  }
  f.Record("fresh", false, 1);  // 1 < window attempts: kept
}

TEST(DrawFiltered, SkipsEasyAndUnsolvedPrompts) {
  curricula::DifficultyFilter f(Opts());
  Fill(f);
  int drawn = 0;
  FilterCounts c;
  auto t = DrawFiltered(&f, Seq({"easy", "unsolved", "fresh"}, &drawn), 1, 8, &c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "fresh");
  EXPECT_EQ(drawn, 3);
  EXPECT_EQ(c.dropped_easy, 1);
  EXPECT_EQ(c.dropped_unsolved, 1);
  EXPECT_EQ(c.forced, 0);
}

TEST(DrawFiltered, TakesTheLastPromptAfterMaxDraws) {
  curricula::DifficultyFilter f(Opts());
  Fill(f);
  int drawn = 0;
  FilterCounts c;
  auto t = DrawFiltered(&f, Seq({"easy", "unsolved"}, &drawn), 1, 3, &c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "easy");  // draws easy, unsolved, easy (forced)
  EXPECT_EQ(drawn, 3);
  EXPECT_EQ(c.dropped_easy, 1);
  EXPECT_EQ(c.dropped_unsolved, 1);
  EXPECT_EQ(c.forced, 1);
}

TEST(DrawFiltered, NullFilterTakesTheFirstPrompt) {
  int drawn = 0;
  FilterCounts c;
  auto t = DrawFiltered(nullptr, Seq({"easy", "x"}, &drawn), 1, 8, &c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "easy");
  EXPECT_EQ(drawn, 1);
}

TEST(DrawFiltered, DownweightAcceptsFilteredPromptsAtTheirWeight) {
  curricula::DifficultyFilter f(Opts("downweight", 0.25));
  Fill(f);
  int accepted_first = 0;
  const int trials = 4000;
  for (int s = 0; s < trials; ++s) {
    int drawn = 0;
    FilterCounts c;
    auto t =
        DrawFiltered(&f, Seq({"easy", "fresh"}, &drawn), static_cast<uint64_t>(s) * 7919, 8, &c);
    ASSERT_TRUE(t.ok());
    if (t->id == "easy") {
      ++accepted_first;
      EXPECT_EQ(c.downweighted, 1);
    } else {
      EXPECT_EQ(c.dropped_easy, 1);
    }
  }
  // Binomial(4000, 0.25): sd ≈ 27; 6 sd bounds.
  EXPECT_NEAR(accepted_first, trials / 4, 165);
}

TEST(ZeroVarianceMask, HandComputedGroups) {
  //                      group 0      group 1      group 2        group 3
  std::vector<double> r = {1, 1, 1, /**/ 0, 1, 0, /**/ 0.5, 0.5, 2, /**/ 3, 3, 3};
  std::vector<bool> keep = {1, 1, 1, /**/ 1, 1, 1, /**/ 1, 1, 0, /**/ 0, 0, 0};
  EXPECT_EQ(ZeroVarianceMask(r, keep, 3), (std::vector<bool>{true, false, true, true}));
  keep[8] = true;
  EXPECT_EQ(ZeroVarianceMask(r, keep, 3), (std::vector<bool>{true, false, false, true}));
}

TEST(LossForStage, AppliesOnlyTheStagesOverride) {
  learner::PolicyLossOptions base;
  base.eps_low = 1.0;
  base.eps_high = 0.28;
  base.clip_eps = 0.2;
  std::vector<config::StageOverrideSection> ov(2);
  ov[0].stage = 1;
  ov[0].eps_high = 0.2;
  ov[1].stage = 2;
  ov[1].eps_high = 0.1;
  ov[1].eps_low = 0.5;
  ov[1].clip_eps = 0.15;
  auto s0 = LossForStage(base, ov, 0), s1 = LossForStage(base, ov, 1),
       s2 = LossForStage(base, ov, 2);
  EXPECT_EQ(s0.eps_high, 0.28);
  EXPECT_EQ(s0.eps_low, 1.0);
  EXPECT_EQ(s1.eps_high, 0.2);
  EXPECT_EQ(s1.eps_low, 1.0);
  EXPECT_EQ(s1.clip_eps, 0.2);
  EXPECT_EQ(s2.eps_high, 0.1);
  EXPECT_EQ(s2.eps_low, 0.5);
  EXPECT_EQ(s2.clip_eps, 0.15);
  EXPECT_EQ(s2.dual_clip_c, base.dual_clip_c);
}

TEST(StageOverrides, ParseAndValidate) {
  auto ok = config::LoadConfigFromString(
      "curriculum:\n  length:\n    stages: [8, 12, 16]\n    stage_overrides:\n"
      "      - {stage: 2, eps_high: 0.1}\n",
      "ok.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->curriculum.length.stage_overrides.size(), 1u);
  EXPECT_EQ(ok->curriculum.length.stage_overrides[0].stage, 2);
  EXPECT_EQ(ok->curriculum.length.stage_overrides[0].eps_high, 0.1);
  EXPECT_LT(ok->curriculum.length.stage_overrides[0].eps_low, 0);  // unset: keep algorithm's
  auto past = config::LoadConfigFromString(
      "curriculum:\n  length:\n    stages: [8, 12]\n    stage_overrides: [{stage: 2}]\n",
      "past.yaml");
  ASSERT_FALSE(past.ok());
  EXPECT_NE(std::string(past.status().message()).find("stage_overrides"), std::string::npos)
      << past.status();
  auto twice = config::LoadConfigFromString(
      "curriculum:\n  length:\n    stages: [8, 12]\n"
      "    stage_overrides: [{stage: 1}, {stage: 1}]\n",
      "twice.yaml");
  EXPECT_FALSE(twice.ok());
}

TEST(SplitLengthMetrics, NearestRankPerClass) {
  std::vector<double> len;
  std::vector<std::optional<bool>> ok;
  for (int i = 1; i <= 10; ++i) {  // correct: 1..10; wrong: 101..110; one unjudged 1000
    len.push_back(i);
    ok.push_back(true);
    len.push_back(100 + i);
    ok.push_back(false);
  }
  len.push_back(1000);
  ok.push_back(std::nullopt);
  std::map<std::string, double> m;
  AddSplitLengthMetrics(len, ok, &m);
  // nearest rank: ceil(q·10)-th smallest
  EXPECT_EQ(m["length/correct_p50"], 5);
  EXPECT_EQ(m["length/correct_p90"], 9);
  EXPECT_EQ(m["length/correct_p99"], 10);
  EXPECT_EQ(m["length/wrong_p50"], 105);
  EXPECT_EQ(m["length/wrong_p90"], 109);
  EXPECT_EQ(m["length/wrong_p99"], 110);
  std::map<std::string, double> none;
  AddSplitLengthMetrics({5, 6}, {true, true}, &none);
  EXPECT_EQ(none.count("length/wrong_p50"), 0u);
  EXPECT_EQ(none["length/correct_p99"], 6);
}

// A synthetic step of n samples: half GenRM-scored. Biased: mean length grows 3 %/step and
// the GenRM reward follows length; unbiased: stationary length, reward independent of it.
struct SyntheticStep {
  std::vector<double> lengths, rewards;
  std::vector<bool> genrm;
};
SyntheticStep MakeStep(int64_t step, bool biased, std::mt19937_64& rng) {
  SyntheticStep s;
  std::normal_distribution<double> noise(0, 20);
  std::uniform_real_distribution<double> u(0, 1);
  const double mean = biased ? 200 * (1 + 0.03 * static_cast<double>(step)) : 200;
  for (int k = 0; k < 32; ++k) {
    double l = std::max(1.0, mean + noise(rng));
    s.lengths.push_back(l);
    s.genrm.push_back(k % 2 == 0);
    s.rewards.push_back(biased ? std::min(1.0, l / 600.0) : u(rng));
  }
  return s;
}

double NaivePearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  return (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

curricula::LengthBiasOptions BiasOpts(std::string action) {
  curricula::LengthBiasOptions o;
  o.window = 10;
  o.action = std::move(action);
  o.shaping_coef = 0.2;
  return o;
}

// Runs steps 1..n; held-out accuracy flat at 0.5 every 3 steps. Returns the first alert step.
int64_t Drive(LengthBiasHook& hook, bool biased, int64_t from, int64_t to, std::mt19937_64& rng,
              std::vector<LengthBiasHook::StepOutcome>* outs = nullptr) {
  int64_t first = -1;
  for (int64_t step = from; step <= to; ++step) {
    SyntheticStep s = MakeStep(step, biased, rng);
    auto out = hook.OnStep(step, s.lengths, s.genrm, &s.rewards);
    if (out.alert && first < 0) first = step;
    if (outs) outs->push_back(out);
    if (step % 3 == 0) hook.OnHeldOut(step, 0.5);
  }
  return first;
}

TEST(LengthBiasHook, FiresOnBiasedStreamWithEvidence) {
  LengthBiasHook hook(BiasOpts("log"));
  std::mt19937_64 rng(1);
  std::vector<LengthBiasHook::StepOutcome> outs;
  int64_t first = Drive(hook, true, 1, 30, rng, &outs);
  ASSERT_GE(first, 10);  // needs a full window
  EXPECT_LE(first, 12);
  const auto& a = *outs[static_cast<size_t>(first - 1)].alert;
  auto ev = nlohmann::json::parse(a.evidence_json);
  EXPECT_GT(ev["length_trend"].get<double>(), 0.005);
  EXPECT_GT(ev["reward_trend"].get<double>(), 0.002);
  EXPECT_LE(ev["heldout_trend"].get<double>(), 0.0);
  EXPECT_FALSE(outs[static_cast<size_t>(first - 1)].pause);
  EXPECT_FALSE(hook.shaping());
}

TEST(LengthBiasHook, QuietOnUnbiasedStream) {
  LengthBiasHook hook(BiasOpts("pause"));
  std::mt19937_64 rng(2);
  EXPECT_EQ(Drive(hook, false, 1, 60, rng), -1);
}

TEST(LengthBiasHook, MetricsMatchNaiveFormulasOnGenrmSamplesOnly) {
  LengthBiasHook hook(BiasOpts("log"));
  std::mt19937_64 rng(3);
  SyntheticStep s = MakeStep(5, true, rng);
  for (size_t k = 0; k < s.rewards.size(); ++k) {
    if (!s.genrm[k]) s.rewards[k] = 100.0 + static_cast<double>(k);  // must be ignored
  }
  std::vector<double> gl, gr;
  for (size_t k = 0; k < s.lengths.size(); ++k) {
    if (s.genrm[k]) {
      gl.push_back(s.lengths[k]);
      gr.push_back(s.rewards[k]);
    }
  }
  auto before = s.rewards;
  auto out = hook.OnStep(5, s.lengths, s.genrm, &s.rewards);
  double mean = 0;
  for (double r : gr) mean += r / static_cast<double>(gr.size());
  EXPECT_NEAR(out.metrics["genrm/score_mean"], mean, 1e-12);
  EXPECT_NEAR(out.metrics["genrm/len_corr"], NaivePearson(gl, gr), 1e-9);
  // slope = r · sd_y / sd_x
  double mx = 0, my = 0;
  for (size_t i = 0; i < gl.size(); ++i) mx += gl[i] / static_cast<double>(gl.size());
  for (size_t i = 0; i < gl.size(); ++i) my += gr[i] / static_cast<double>(gl.size());
  double sxx = 0, syy = 0;
  for (size_t i = 0; i < gl.size(); ++i) {
    sxx += (gl[i] - mx) * (gl[i] - mx);
    syy += (gr[i] - my) * (gr[i] - my);
  }
  EXPECT_NEAR(out.metrics["genrm/len_slope"], NaivePearson(gl, gr) * std::sqrt(syy / sxx), 1e-9);
  EXPECT_EQ(out.metrics["genrm/samples"], 16);
  EXPECT_EQ(s.rewards, before);  // no shaping before an alert
  std::vector<double> none_l = {1, 2}, none_r = {0, 1};
  EXPECT_TRUE(hook.OnStep(6, none_l, {false, false}, &none_r).metrics.empty());
}

TEST(LengthBiasHook, PauseActionAsksToPause) {
  LengthBiasHook hook(BiasOpts("pause"));
  std::mt19937_64 rng(1);
  std::vector<LengthBiasHook::StepOutcome> outs;
  int64_t first = Drive(hook, true, 1, 30, rng, &outs);
  ASSERT_GT(first, 0);
  EXPECT_TRUE(outs[static_cast<size_t>(first - 1)].pause);
  for (size_t i = 0; i + 1 < static_cast<size_t>(first); ++i) EXPECT_FALSE(outs[i].pause);
}

TEST(LengthBiasHook, ShapeActionShapesLaterGenrmRewardsByLengthZScore) {
  LengthBiasHook hook(BiasOpts("shape"));
  std::mt19937_64 rng(1);
  int64_t first = Drive(hook, true, 1, 30, rng);
  ASSERT_GT(first, 0);
  EXPECT_TRUE(hook.shaping());
  SyntheticStep s = MakeStep(31, true, rng);
  auto raw = s.rewards;
  auto out = hook.OnStep(31, s.lengths, s.genrm, &s.rewards);
  EXPECT_EQ(out.metrics["genrm/shaping"], 1);
  // Naive reference: z-score of length over the GenRM samples (population sd).
  double m = 0, n = 0;
  for (size_t k = 0; k < s.lengths.size(); ++k) {
    if (s.genrm[k]) {
      m += s.lengths[k];
      n += 1;
    }
  }
  m /= n;
  double var = 0;
  for (size_t k = 0; k < s.lengths.size(); ++k) {
    if (s.genrm[k]) var += (s.lengths[k] - m) * (s.lengths[k] - m) / n;
  }
  for (size_t k = 0; k < s.lengths.size(); ++k) {
    double want = s.genrm[k] ? raw[k] - 0.2 * (s.lengths[k] - m) / std::sqrt(var) : raw[k];
    EXPECT_NEAR(s.rewards[k], want, 1e-12) << k;
  }
  // The observed score is the raw one (the monitor sees what the judge said).
  double raw_mean = 0;
  for (size_t k = 0; k < raw.size(); ++k) raw_mean += s.genrm[k] ? raw[k] / n : 0;
  EXPECT_NEAR(out.metrics["genrm/score_mean"], raw_mean, 1e-12);
}

TEST(LengthBiasHook, StateRoundTripContinuesIdentically) {
  LengthBiasHook a(BiasOpts("shape"));
  std::mt19937_64 ra(7);
  Drive(a, true, 1, 8, ra);
  LengthBiasHook b(BiasOpts("shape"));
  ASSERT_TRUE(b.LoadState(a.SaveState()).ok());
  std::mt19937_64 rb = ra;
  std::vector<LengthBiasHook::StepOutcome> oa, ob;
  int64_t fa = Drive(a, true, 9, 25, ra, &oa), fb = Drive(b, true, 9, 25, rb, &ob);
  EXPECT_GT(fa, 0);
  EXPECT_EQ(fa, fb);
  ASSERT_EQ(oa.size(), ob.size());
  for (size_t i = 0; i < oa.size(); ++i) EXPECT_EQ(oa[i].metrics, ob[i].metrics);
  EXPECT_EQ(a.shaping(), b.shaping());
  LengthBiasHook fresh(BiasOpts("shape"));
  EXPECT_FALSE(fresh.LoadState("[1,2]").ok());
  EXPECT_FALSE(fresh.LoadState(R"({"monitor":"{\"points\":5}"})").ok());
}

}  // namespace
}  // namespace rl::driver
