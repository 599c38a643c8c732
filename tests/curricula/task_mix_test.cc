#include "curricula/task_mix.h"

#include <gtest/gtest.h>

namespace rl::curricula {
namespace {

TEST(TaskMix, ScheduleSwitchesWeightsByStep) {
  auto mix = TaskMix::Create({"math", "general"}, {1, 1},
                             {{0, {{"general", 0}}}, {100, {{"general", 1}, {"math", 3}}}}, 7);
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->WeightsAt(0), (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(mix->WeightsAt(99), (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(mix->WeightsAt(100), (std::vector<double>{0.75, 0.25}));
}

TEST(TaskMix, DrawsAreStratifiedAndReproducible) {
  auto mix = TaskMix::Create({"a", "b", "c"}, {2, 1, 1}, {}, 3);
  ASSERT_TRUE(mix.ok());
  auto d = mix->Draw(5, 8);  // expected counts 4, 2, 2 exactly
  std::vector<int> counts(3);
  for (int i : d) counts[i]++;
  EXPECT_EQ(counts, (std::vector<int>{4, 2, 2}));
  EXPECT_EQ(mix->Draw(5, 8), d);  // same (seed, step) → same draw, e.g. after a resume
  // Non-integer expectations: each source gets at least the floor.
  for (int step = 0; step < 50; ++step) {
    auto e = mix->Draw(step, 7);  // expected 3.5, 1.75, 1.75
    std::vector<int> c(3);
    for (int i : e) c[i]++;
    EXPECT_GE(c[0], 3);
    EXPECT_GE(c[1], 1);
    EXPECT_GE(c[2], 1);
    EXPECT_EQ(c[0] + c[1] + c[2], 7);
  }
}

TEST(TaskMix, RejectsUnknownSourcesAndAllZero) {
  EXPECT_FALSE(TaskMix::Create({"a"}, {1}, {{0, {{"b", 1}}}}, 0).ok());
  EXPECT_FALSE(TaskMix::Create({"a"}, {1}, {{10, {{"a", 0}}}}, 0).ok());
  EXPECT_FALSE(TaskMix::Create({}, {}, {}, 0).ok());
}

}  // namespace
}  // namespace rl::curricula
