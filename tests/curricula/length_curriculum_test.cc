#include "curricula/length_curriculum.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rl::curricula {
namespace {

LengthCurriculumOptions Opts() {
  LengthCurriculumOptions o;
  o.stages = {100, 200, 300};
  o.window = 4;
  o.ppl_rel_change = 0.05;
  o.p99_fraction = 0.9;
  return o;
}

TEST(LengthCurriculum, AdvancesOnlyWhenPerplexityConvergedAndLengthNearBudget) {
  LengthCurriculum c(Opts(), 0);
  EXPECT_EQ(c.budget(), 100);
  // Perplexity still falling fast: no advance even though lengths hit the budget.
  for (int s = 0; s < 4; ++s) EXPECT_FALSE(c.Observe(s, 3.0 - 0.5 * s, 99));
  // Converged perplexity but short answers: no advance.
  LengthCurriculum short_answers(Opts(), 0);
  for (int s = 0; s < 8; ++s) EXPECT_FALSE(short_answers.Observe(s, 2.0, 50));
  // Converged and near the budget: advance after the 4th such step of the window.
  LengthCurriculum ok(Opts(), 0);
  std::optional<StageTransition> t;
  int step = 0;
  for (; step < 10 && !t; ++step) t = ok.Observe(step, 2.0 + 0.001 * step, 95);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->step, 3);
  EXPECT_EQ(t->old_budget, 100);
  EXPECT_EQ(t->new_budget, 200);
  EXPECT_EQ(t->reason, "converged_and_near_budget");
  auto ev = nlohmann::json::parse(t->evidence_json);
  EXPECT_EQ(ev["perplexity"].size(), 4u);
  EXPECT_DOUBLE_EQ(ev["p99_mean"].get<double>(), 95.0);
  EXPECT_EQ(ok.budget(), 200);
  // The window restarts in the new stage: p99 95 is far from 0.9 · 200.
  for (int s = 0; s < 6; ++s) EXPECT_FALSE(ok.Observe(step + s, 2.0, 95));
}

TEST(LengthCurriculum, HardCapAndLastStage) {
  LengthCurriculumOptions o = Opts();
  o.max_steps_per_stage = 3;
  LengthCurriculum c(o, 0);
  EXPECT_FALSE(c.Observe(0, 5, 1));
  EXPECT_FALSE(c.Observe(1, 4, 1));
  auto t = c.Observe(2, 3, 1);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->reason, "max_steps_per_stage");
  for (int s = 3; s < 6; ++s) c.Observe(s, 1, 1);
  EXPECT_EQ(c.stage(), 2);
  for (int s = 6; s < 20; ++s) EXPECT_FALSE(c.Observe(s, 1, 1000));  // the last stage stays
  EXPECT_EQ(c.budget(), 300);
}

TEST(LengthCurriculum, StartStageAndFallbackBudget) {
  LengthCurriculumOptions o = Opts();
  o.start_stage = 1;
  EXPECT_EQ(LengthCurriculum(o, 0).budget(), 200);
  EXPECT_EQ(LengthCurriculum(LengthCurriculumOptions{}, 512).budget(), 512);
}

TEST(LengthCurriculum, ResumedStateMakesTheSameDecisions) {
  auto stream = [](int s) { return std::make_pair(2.0 + 0.3 / (1 + s), 80.0 + 10.0 * (s % 5)); };
  LengthCurriculum straight(Opts(), 0);
  std::vector<int64_t> straight_steps;
  for (int s = 0; s < 40; ++s) {
    auto [ppl, p99] = stream(s);
    if (auto t = straight.Observe(s, ppl, p99)) straight_steps.push_back(t->step);
  }
  LengthCurriculum first(Opts(), 0);
  std::vector<int64_t> resumed_steps;
  for (int s = 0; s < 17; ++s) {
    auto [ppl, p99] = stream(s);
    if (auto t = first.Observe(s, ppl, p99)) resumed_steps.push_back(t->step);
  }
  LengthCurriculum second(Opts(), 0);
  ASSERT_TRUE(second.LoadState(first.SaveState()).ok());
  for (int s = 17; s < 40; ++s) {
    auto [ppl, p99] = stream(s);
    if (auto t = second.Observe(s, ppl, p99)) resumed_steps.push_back(t->step);
  }
  EXPECT_FALSE(straight_steps.empty());
  EXPECT_EQ(resumed_steps, straight_steps);
  EXPECT_EQ(second.stage(), straight.stage());
}

TEST(LengthCurriculum, LoadStateRejectsOtherStagesAndGarbage) {
  LengthCurriculum c(Opts(), 0);
  LengthCurriculumOptions other = Opts();
  other.stages = {10, 20};
  LengthCurriculum d(other, 0);
  EXPECT_EQ(c.LoadState(d.SaveState()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.LoadState("not json").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(c.LoadState(R"({"stage": 1})").code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace rl::curricula
