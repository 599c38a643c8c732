#include "curricula/difficulty.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

namespace rl::curricula {
namespace {

DifficultyOptions Opts() {
  DifficultyOptions o;
  o.enabled = true;
  o.window = 4;
  o.upper = 0.75;
  return o;
}

TEST(DifficultyFilter, ClassifiesOverTheLastKAttempts) {
  DifficultyFilter f(Opts());
  for (int i = 0; i < 3; ++i) f.Record("easy", true, i);
  EXPECT_EQ(f.Classify("easy"), FilterReason::kKept);  // fewer than k attempts
  f.Record("easy", true, 3);
  EXPECT_EQ(f.Classify("easy"), FilterReason::kTooEasy);  // 4/4 > 0.75
  for (int i = 0; i < 4; ++i) f.Record("hard", false, i);
  EXPECT_EQ(f.Classify("hard"), FilterReason::kUnsolved);
  for (int i = 0; i < 4; ++i) f.Record("mid", i % 2 == 0, i);
  EXPECT_EQ(f.Classify("mid"), FilterReason::kKept);
  EXPECT_DOUBLE_EQ(f.PassRate("mid"), 0.5);
  // Only the last k count: a prompt that starts failing comes back.
  f.Record("easy", false, 4);
  EXPECT_DOUBLE_EQ(f.PassRate("easy"), 0.75);
  EXPECT_EQ(f.Classify("easy"), FilterReason::kKept);
  EXPECT_TRUE(std::isnan(f.PassRate("never")));
  EXPECT_EQ(f.Weight("hard"), 0.0);
}

TEST(DifficultyFilter, DownweightModeAndDisabled) {
  DifficultyOptions o = Opts();
  o.mode = "downweight";
  DifficultyFilter f(o);
  for (int i = 0; i < 4; ++i) f.Record("p", false, i);
  EXPECT_DOUBLE_EQ(f.Weight("p"), 0.1);
  DifficultyFilter off(DifficultyOptions{});
  for (int i = 0; i < 10; ++i) off.Record("p", false, i);
  EXPECT_EQ(off.Classify("p"), FilterReason::kKept);
}

TEST(DifficultyFilter, HistoryRoundTripsThroughTheRunStore) {
  std::string dir = testing::TempDir() + "/difficulty_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  DifficultyFilter f(Opts());
  for (int i = 0; i < 6; ++i) f.Record("a", i != 2, i);
  for (int i = 0; i < 4; ++i) f.Record("b", false, i);
  {
    auto st = store::RunStore::Open(dir + "/run.sqlite");
    ASSERT_TRUE(st.ok()) << st.status();
    auto id = (*st)->CreateRun("d", "", dir);
    ASSERT_TRUE(id.ok());
    (*st)->UpsertPromptStats(f.Export(*id));
    ASSERT_TRUE((*st)->Flush().ok());
  }
  auto st = store::RunStore::Open(dir + "/run.sqlite");
  ASSERT_TRUE(st.ok());
  auto rows = (*st)->PromptStats(1);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].recent, "0111");  // attempts 2..5: fail, pass, pass, pass
  EXPECT_EQ((*rows)[0].attempts, 6);
  DifficultyFilter g(Opts());
  g.Import(*rows);
  EXPECT_EQ(g.Classify("a"), f.Classify("a"));
  EXPECT_EQ(g.Classify("b"), FilterReason::kUnsolved);
  EXPECT_DOUBLE_EQ(g.PassRate("a"), f.PassRate("a"));
}

TEST(DifficultyFilter, ExportOfSelectedPrompts) {
  DifficultyFilter f(Opts());
  f.Record("a", true, 3);
  f.Record("b", false, 4);
  f.Record("b", true, 5);
  auto rows = f.Export(7, {"b", "missing"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].run_id, 7);
  EXPECT_EQ(rows[0].prompt_id, "b");
  EXPECT_EQ(rows[0].attempts, 2);
  EXPECT_EQ(rows[0].passes, 1);
  EXPECT_EQ(rows[0].recent, "01");
  EXPECT_EQ(rows[0].last_step, 5);
}

TEST(ZeroVarianceGroups, FindsConstantGroups) {
  std::vector<double> r = {1, 1, 1, 0, 1, 0, 0, 0, 0};
  EXPECT_EQ(ZeroVarianceGroups(r, 3), (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace rl::curricula
