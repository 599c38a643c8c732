// End-to-end tests of the curriculum wiring of `rl train` with real processes on loopback
// (the driver and two `rl rollout-worker` children, configs/curriculum_e2e.yaml). Every
// assertion recomputes what the driver claims from the rows it stored (samples, metrics),
// independently of the driver's code.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rl/store/run_store.h"
#include "tests/driver/train_process.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using rl::e2e::Log;
using rl::e2e::Metric;
using rl::e2e::OpenStore;
using rl::e2e::Wait;
using rl::e2e::WaitForStep;
const std::string kTrainConfig = std::string(RL_SOURCE_DIR) + "/configs/curriculum_e2e.yaml";
std::string TempDir(const std::string& name) { return rl::e2e::FreshDir("rl_curric_test_", name); }
pid_t StartTrain(const std::string& dir, std::vector<std::string> extra) {
  return rl::e2e::StartTrain(kTrainConfig, dir, std::move(extra));
}
int RunTrain(const std::string& dir, std::vector<std::string> extra) {
  return Wait(StartTrain(dir, std::move(extra)));
}

constexpr int64_t kB = 2, kG = 2;                             // prompts_per_step, group_size
const std::vector<int64_t> kBudgets = {8, 12, 16, 20};        // curriculum.length.stages
const std::vector<double> kEpsHigh = {0.28, 0.2, 0.1, 0.28};  // algorithm + stage_overrides
const std::vector<double> kEpsLow = {1.0, 1.0, 0.5, 1.0};
constexpr double kPplRelChange = 0.1, kP99Fraction = 0.75;  // the advance rule
constexpr int64_t kWindow = 2;

// Independent nearest-rank percentile: the ceil(q·n)-th smallest value.
double P(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  long rank = std::lround(std::ceil(q * static_cast<double>(v.size())));
  return v[static_cast<size_t>(std::max(1L, rank) - 1)];
}

struct StepSamples {
  std::vector<double> lengths;
  double logp_sum = 0, tokens = 0;
};

std::map<int64_t, StepSamples> SamplesByStep(rl::store::RunStore& s, int64_t run) {
  std::map<int64_t, StepSamples> out;
  auto rows = s.Samples(run, std::nullopt, 1'000'000);
  EXPECT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    auto& st = out[r.step];
    st.lengths.push_back(static_cast<double>(r.token_count));
    st.logp_sum += json::parse(r.verifier_details).at("logp_sum").get<double>();
    st.tokens += static_cast<double>(r.token_count);
  }
  return out;
}

// The stage each step ran in, from the transition rows: stage(k) = #events with step < k.
int64_t StageAt(const std::vector<rl::store::CurriculumEventRow>& ev, int64_t step) {
  int64_t n = 0;
  for (const auto& e : ev) n += e.step < step ? 1 : 0;
  return n;
}

// Checks every transition against the rule, recomputed from the stored samples; and every
// step's budget, clipping and response lengths against the stage the events imply.
void ExpectTransitionsFollowTheRule(rl::store::RunStore& s, int64_t run, int64_t steps) {
  auto ev = s.CurriculumEvents(run);
  ASSERT_TRUE(ev.ok());
  auto by_step = SamplesByStep(s, run);
  auto ppl_metric = Metric(s, run, "curriculum/perplexity");
  int64_t prev_step = 0;
  for (size_t i = 0; i < ev->size(); ++i) {
    const auto& e = (*ev)[i];
    SCOPED_TRACE("transition " + std::to_string(i) + " after step " + std::to_string(e.step));
    EXPECT_EQ(e.curriculum, "length");
    EXPECT_EQ(e.reason, "converged_and_near_budget");
    ASSERT_LT(i + 1, kBudgets.size());
    EXPECT_EQ(e.old_value, std::to_string(kBudgets[i]));
    EXPECT_EQ(e.new_value, std::to_string(kBudgets[i + 1]));
    EXPECT_GE(e.step - prev_step, kWindow);  // a stage lasts at least a window
    prev_step = e.step;
    json evd = json::parse(e.evidence);
    auto ppl = evd.at("perplexity").get<std::vector<double>>();
    auto p99 = evd.at("p99_length").get<std::vector<double>>();
    ASSERT_EQ(static_cast<int64_t>(ppl.size()), kWindow);
    ASSERT_EQ(static_cast<int64_t>(p99.size()), kWindow);
    EXPECT_EQ(evd.at("budget").get<int64_t>(), kBudgets[i]);
    // The window is the stage's last kWindow steps: recompute each value from the samples.
    for (int64_t w = 0; w < kWindow; ++w) {
      const int64_t k = e.step - kWindow + 1 + w;
      const StepSamples& st = by_step.at(k);
      const double want_ppl = std::exp(-st.logp_sum / st.tokens);
      EXPECT_NEAR(ppl[static_cast<size_t>(w)], want_ppl, 1e-6 * want_ppl) << "step " << k;
      EXPECT_NEAR(ppl_metric.at(k), want_ppl, 1e-6 * want_ppl) << "step " << k;
      EXPECT_EQ(p99[static_cast<size_t>(w)], P(st.lengths, 0.99)) << "step " << k;
    }
    // The rule itself, on the recomputed window (halves of a 2-step window: one step each).
    const double rel = std::abs(ppl[1] - ppl[0]) / ppl[0];
    EXPECT_LT(rel, kPplRelChange);
    EXPECT_GE((p99[0] + p99[1]) / 2, kP99Fraction * static_cast<double>(kBudgets[i]));
  }
  auto budget = Metric(s, run, "curriculum/budget");
  auto stage = Metric(s, run, "curriculum/stage");
  auto eps_high = Metric(s, run, "curriculum/eps_high");
  auto eps_low = Metric(s, run, "curriculum/eps_low");
  ASSERT_EQ(static_cast<int64_t>(budget.size()), steps);
  for (int64_t k = 1; k <= steps; ++k) {
    const int64_t st = StageAt(*ev, k);
    EXPECT_EQ(stage[k], static_cast<double>(st)) << "step " << k;
    EXPECT_EQ(budget[k], static_cast<double>(kBudgets[static_cast<size_t>(st)])) << "step " << k;
    EXPECT_EQ(eps_high[k], kEpsHigh[static_cast<size_t>(st)]) << "step " << k;
    EXPECT_EQ(eps_low[k], kEpsLow[static_cast<size_t>(st)]) << "step " << k;
    for (double l : by_step.at(k).lengths) EXPECT_LE(l, budget[k]) << "step " << k;
  }
}

TEST(CurriculumE2E, AdvancesTwoStagesByConvergenceAndResumesInStage) {
  std::string dir = TempDir("stages");
  ASSERT_EQ(RunTrain(dir, {}), 0) << Log(dir);  // run.steps = 5
  int64_t stage_before = 0;
  {
    auto s = OpenStore(dir);
    ASSERT_NE(s, nullptr);
    int64_t run = s->ListRuns()->back().id;
    EXPECT_EQ(s->ListRuns()->back().status, "completed");
    auto ev = s->CurriculumEvents(run);
    ASSERT_TRUE(ev.ok());
    ASSERT_GE(ev->size(), 2u) << "expected two convergence transitions in 5 steps\n" << Log(dir);
    ExpectTransitionsFollowTheRule(*s, run, 5);
    stage_before = StageAt(*ev, 6);
  }
  ASSERT_EQ(RunTrain(dir, {"--resume", "--set", "run.steps=8"}), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->ListRuns()->size(), 1u);
  int64_t run = s->ListRuns()->back().id;
  EXPECT_EQ(s->ListRuns()->back().status, "completed");
  EXPECT_EQ(Metric(*s, run, "time/step_s").size(), 8u);  // steps 1..8, each once
  // Step 6 (the first resumed step) runs in the stage the first run ended in, with its
  // budget and clipping; the whole history, including a window that spans the resume,
  // satisfies the rule.
  EXPECT_EQ(Metric(*s, run, "curriculum/stage")[6], static_cast<double>(stage_before));
  EXPECT_EQ(Metric(*s, run, "curriculum/budget")[6],
            static_cast<double>(kBudgets[static_cast<size_t>(stage_before)]));
  ExpectTransitionsFollowTheRule(*s, run, 8);
  auto ev = s->CurriculumEvents(run);
  ASSERT_TRUE(ev.ok());
  // The first run ended one step into stage 2; its window (step 5) was saved with the
  // checkpoint, so the resumed run completes the 2-step window at step 6 — a run that lost
  // the window could advance at step 7 at the earliest.
  ASSERT_EQ(stage_before, 2);
  ASSERT_EQ(ev->size(), 3u) << Log(dir);
  EXPECT_EQ((*ev)[2].step, 6);
  EXPECT_EQ(json::parse((*ev)[2].evidence).at("steps_in_stage").get<int64_t>(), 2);
  fs::remove_all(dir);
}

// Dynamic sampling + difficulty filter on one prompt (tasks.sources limit 1): the refill
// rule, the filter counts and prompt_stats are recomputed from the stored samples, across a
// resume.
TEST(CurriculumE2E, DynamicSamplingAndDifficultyFilterSurviveResume) {
  std::string dir = TempDir("filter");
  std::vector<std::string> common = {
      "--set",
      "algorithm.drop_zero_variance=true",
      "--set",
      "algorithm.max_refill_rounds=1",
      "--set",
      "curriculum.difficulty.enabled=true",
      "--set",
      "curriculum.difficulty.window=2",
      "--set",
      "curriculum.length.stages=[]",
      "--set",
      "curriculum.length.stage_overrides=[]",
      "--set",
      "tasks.sources=[{name: one, kind: math, generator: arithmetic, limit: 1, "
      "params: {max_operand: 9}}]"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  ASSERT_EQ(RunTrain(dir, with({"--set", "run.steps=2"})), 0) << Log(dir);
  ASSERT_EQ(RunTrain(dir, with({"--resume", "--set", "run.steps=4"})), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  int64_t run = s->ListRuns()->back().id;
  auto rows = s->Samples(run, std::nullopt, 1'000'000);
  ASSERT_TRUE(rows.ok());
  // step → group → rewards / pass outcomes, in request order.
  std::map<int64_t, std::map<int64_t, std::vector<double>>> groups;
  std::map<int64_t, std::map<int64_t, bool>> dropped, trained_any;
  std::string prompt_id;
  std::string outcomes;                            // every attempt in order
  std::map<int64_t, std::string> outcomes_before;  // step → outcomes of earlier steps
  for (const auto& r : *rows) {
    json d = json::parse(r.verifier_details);
    if (!outcomes_before.count(r.step)) outcomes_before[r.step] = outcomes;
    groups[r.step][r.group_idx].push_back(r.reward);
    dropped[r.step][r.group_idx] = d.value("dropped", "") == "zero_variance";
    trained_any[r.step][r.group_idx] =
        trained_any[r.step][r.group_idx] || d.at("trained").get<bool>();
    if (prompt_id.empty()) prompt_id = r.prompt_id;
    EXPECT_EQ(r.prompt_id, prompt_id);  // limit 1: a single prompt
    outcomes.push_back(r.correct.value_or(false) ? '1' : '0');
  }
  ASSERT_EQ(groups.size(), 4u);
  auto zv = Metric(*s, run, "filter/zero_variance_groups");
  auto rounds = Metric(*s, run, "filter/refill_rounds");
  auto unsolved = Metric(*s, run, "filter/dropped_unsolved");
  auto easy = Metric(*s, run, "filter/dropped_easy");
  auto forced = Metric(*s, run, "filter/forced");
  for (int64_t k = 1; k <= 4; ++k) {
    SCOPED_TRACE("step " + std::to_string(k));
    // Refill rule: round 0 has kB groups; while fewer than kB have reward variance and
    // rounds < 1, one more round of (kB − live) groups.
    const auto& g = groups[k];
    auto is_zv = [&](int64_t gi) {
      const auto& r = g.at(gi);
      return std::all_of(r.begin(), r.end(), [&](double x) { return x == r[0]; });
    };
    int64_t next = 0, live = 0, zero = 0, rnd = 0;
    for (; next < kB; ++next) (is_zv(next) ? zero : live) += 1;
    if (live < kB) {
      ++rnd;
      const int64_t more = kB - live;
      for (int64_t m = 0; m < more; ++m, ++next) (is_zv(next) ? zero : live) += 1;
    }
    EXPECT_EQ(static_cast<int64_t>(g.size()), next);  // exactly the groups the rule asks for
    EXPECT_EQ(zv[k], static_cast<double>(zero));
    EXPECT_EQ(rounds[k], static_cast<double>(rnd));
    for (const auto& [gi, r] : g) {
      EXPECT_EQ(static_cast<int64_t>(r.size()), kG);
      EXPECT_EQ(dropped[k][gi], is_zv(gi)) << "group " << gi;
      if (is_zv(gi)) {
        EXPECT_FALSE(trained_any[k][gi]) << "group " << gi;
      }
    }
    // Difficulty filter: each drawn slot sees the prompt's last 2 outcomes before step k.
    const std::string& before = outcomes_before[k];
    int64_t want_unsolved = 0, want_easy = 0, want_forced = 0;
    if (before.size() >= 2) {
      std::string last = before.substr(before.size() - 2);
      const int64_t drawn = static_cast<int64_t>(g.size());
      if (last == "00") {
        want_unsolved = 7 * drawn;  // 8 draws per slot, the 8th taken anyway
        want_forced = drawn;
      } else if (last == "11") {
        want_easy = 7 * drawn;
        want_forced = drawn;
      }
    }
    EXPECT_EQ(unsolved[k], static_cast<double>(want_unsolved));
    EXPECT_EQ(easy[k], static_cast<double>(want_easy));
    EXPECT_EQ(forced[k], static_cast<double>(want_forced));
  }
  // prompt_stats: every attempt of all 4 steps (so the resumed run imported the first's).
  auto ps = s->PromptStats(run);
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].prompt_id, prompt_id);
  EXPECT_EQ((*ps)[0].attempts, static_cast<int64_t>(outcomes.size()));
  EXPECT_EQ((*ps)[0].passes, std::count(outcomes.begin(), outcomes.end(), '1'));
  EXPECT_EQ((*ps)[0].recent, outcomes.substr(outcomes.size() - 2));
  EXPECT_EQ((*ps)[0].last_step, 4);
  fs::remove_all(dir);
}

// Least-squares slope of y over x (independent reference).
double Slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / static_cast<double>(x.size());
    my += y[i] / static_cast<double>(x.size());
  }
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

// The length-bias monitor in the loop: a process-plugin "GenRM" that rewards length
// (tests/driver/fake_genrm.sh) scores every training sample while the budget grows every step
// (so does the random model's length) and the held-out accuracy stays flat. The monitor fires
// once its 4-step window is full; action pause checkpoints and stops the run with status
// 'paused'; `--resume` continues from there. The alert's evidence and the genrm/* metrics are
// recomputed from the stored samples.
TEST(CurriculumE2E, LengthBiasAlertPausesAndResumeContinues) {
  std::string dir = TempDir("bias");
  std::vector<std::string> common = {
      "--set",
      "curriculum.length.stages=[8, 12, 16, 20, 24, 28, 32]",
      "--set",
      "curriculum.length.max_steps_per_stage=1",
      "--set",
      "curriculum.length.stage_overrides=[]",
      "--set",
      "curriculum.length_bias.window=4",
      "--set",
      "curriculum.length_bias.action=pause",
      "--set",
      "tasks.eval.every_steps=1",
      "--set",
      "rewards.verifiers={math: fakegenrm}",
      "--set",
      "rewards.plugins=[{name: fakegenrm, type: process, command: [/bin/sh, " +
          std::string(RL_SOURCE_DIR) + "/tests/driver/fake_genrm.sh]}]"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  ASSERT_EQ(RunTrain(dir, with({"--set", "run.steps=10"})), 0) << Log(dir);
  {
    auto s = OpenStore(dir);
    ASSERT_NE(s, nullptr);
    int64_t run = s->ListRuns()->back().id;
    EXPECT_EQ(s->ListRuns()->back().status, "paused") << Log(dir);
    auto alerts = s->Alerts(run);
    ASSERT_TRUE(alerts.ok());
    std::vector<rl::store::AlertRow> bias;
    for (const auto& a : *alerts) {
      if (a.kind == "length_bias") bias.push_back(a);
    }
    ASSERT_EQ(bias.size(), 1u) << Log(dir);
    // Window 4 full at step 4; held-out points of steps 1..3 are in it by then.
    EXPECT_EQ(bias[0].step, 4);
    auto steps = Metric(*s, run, "time/step_s");
    EXPECT_EQ(steps.size(), 4u);  // paused right after the alerting step
    auto ck = s->Checkpoints(run);
    ASSERT_TRUE(ck.ok() && !ck->empty());
    EXPECT_EQ(ck->back().step, 4);
    // Evidence recomputed from the samples: per-step mean length and mean GenRM reward.
    json ev = json::parse(bias[0].evidence);
    EXPECT_EQ(ev.at("action").get<std::string>(), "pause");
    auto ev_steps = ev.at("steps").get<std::vector<double>>();
    auto ev_len = ev.at("mean_length").get<std::vector<double>>();
    auto ev_rew = ev.at("mean_genrm_reward").get<std::vector<double>>();
    ASSERT_EQ(ev_steps, (std::vector<double>{1, 2, 3, 4}));
    auto rows = s->Samples(run, std::nullopt, 1'000'000);
    ASSERT_TRUE(rows.ok());
    std::map<int64_t, std::vector<double>> lens, rews;
    for (const auto& r : *rows) {
      json d = json::parse(r.verifier_details);
      ASSERT_TRUE(d.contains("genrm")) << r.verifier_details;
      EXPECT_NEAR(r.reward, static_cast<double>(r.token_count) / 20.0, 1e-6);
      lens[r.step].push_back(static_cast<double>(r.token_count));
      rews[r.step].push_back(r.reward);
    }
    auto corr = Metric(*s, run, "genrm/len_corr");
    auto mean_metric = Metric(*s, run, "genrm/score_mean");
    std::vector<double> ml, mr;
    for (int64_t k = 1; k <= 4; ++k) {
      double l = 0, r = 0;
      for (double x : lens[k]) l += x / static_cast<double>(lens[k].size());
      for (double x : rews[k]) r += x / static_cast<double>(rews[k].size());
      ml.push_back(l);
      mr.push_back(r);
      EXPECT_NEAR(ev_len[static_cast<size_t>(k - 1)], l, 1e-9) << "step " << k;
      EXPECT_NEAR(ev_rew[static_cast<size_t>(k - 1)], r, 1e-6) << "step " << k;
      EXPECT_NEAR(mean_metric.at(k), r, 1e-6) << "step " << k;
      // reward = length / 20 exactly: r = 1 when lengths vary, 0 (by convention) when not.
      const bool varies = *std::max_element(lens[k].begin(), lens[k].end()) >
                          *std::min_element(lens[k].begin(), lens[k].end());
      EXPECT_NEAR(corr.at(k), varies ? 1.0 : 0.0, 1e-6) << "step " << k;
    }
    double mean_len = (ml[0] + ml[1] + ml[2] + ml[3]) / 4;
    std::vector<double> x = {1, 2, 3, 4};
    EXPECT_NEAR(ev.at("length_trend").get<double>(), Slope(x, ml) / mean_len, 1e-9);
    EXPECT_NEAR(ev.at("reward_trend").get<double>(), Slope(x, mr), 1e-6);
    EXPECT_GT(Slope(x, ml) / mean_len, 0.005);
    EXPECT_GT(Slope(x, mr), 0.002);
    // Held-out accuracy: the plugin judges no correctness, so it is flat at 0.
    auto acc = ev.at("heldout_accuracy").get<std::vector<double>>();
    EXPECT_GE(acc.size(), 2u);
    for (double a : acc) EXPECT_EQ(a, 0.0);
  }
  ASSERT_EQ(RunTrain(dir, with({"--resume", "--set", "run.steps=6"})), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  int64_t run = s->ListRuns()->back().id;
  EXPECT_EQ(s->ListRuns()->back().status, "completed");
  auto steps = Metric(*s, run, "time/step_s");
  EXPECT_EQ(steps.size(), 6u);
  EXPECT_EQ(Metric(*s, run, "curriculum/budget")[5], 24);  // one stage per step: 8 + 4·4
  fs::remove_all(dir);
}

}  // namespace
