// End-to-end tests of the SFT cold start and the time limit of `rl train` with real
// processes on loopback (the driver and two `rl rollout-worker` children,
// configs/cold_start_e2e.yaml): the rows each phase leaves in the store, the held-out set
// never drawn for training, --resume not repeating the cold start, and run.time_limit_minutes
// ending a run early but cleanly.
#include <sys/wait.h>
#include <unistd.h>

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
const std::string kTrainConfig = std::string(RL_SOURCE_DIR) + "/configs/cold_start_e2e.yaml";
std::string TempDir(const std::string& name) {
  return rl::e2e::FreshDir("rl_cold_start_test_", name);
}
pid_t StartTrain(const std::string& dir, std::vector<std::string> extra) {
  return rl::e2e::StartTrain(kTrainConfig, dir, std::move(extra));
}
int RunTrain(const std::string& dir, std::vector<std::string> extra) {
  return Wait(StartTrain(dir, std::move(extra)));
}

std::set<int64_t> Steps(rl::store::RunStore& s, const std::string& name) {
  std::set<int64_t> out;
  auto rows = s.Metrics(1, name);
  EXPECT_TRUE(rows.ok());
  for (const auto& r : *rows) out.insert(r.step);
  return out;
}

TEST(ColdStartE2E, SftThenRlHeldOutNeverTrainedResumeSkipsColdStart) {
  const std::string dir = TempDir("run");
  ASSERT_EQ(RunTrain(dir, {}), 0) << rl::e2e::ReadFileText(dir + ".log");
  {
    auto s = OpenStore(dir);
    ASSERT_TRUE(s);
    // 4 cold-start steps with a held-out evaluation after step 2 (not after the last: the
    // RL curve's step-0 evaluation is that point), then 3 RL steps evaluated at 2 and at the
    // end (3), and the starting point 0.
    EXPECT_EQ(Steps(*s, "cold_start/loss"), (std::set<int64_t>{1, 2, 3, 4}));
    EXPECT_EQ(Steps(*s, "cold_start/eval/accuracy"), (std::set<int64_t>{2}));
    EXPECT_EQ(Steps(*s, "eval/accuracy"), (std::set<int64_t>{0, 2, 3}));
    EXPECT_EQ(Steps(*s, "train/sequences"), (std::set<int64_t>{1, 2, 3}));
    // No sync/* rows from the cold start's pushes: those steps are RL steps.
    EXPECT_EQ(Steps(*s, "sync/seconds"), (std::set<int64_t>{0, 1, 2, 3}));
    auto cks = s->Checkpoints(1);
    ASSERT_TRUE(cks.ok());
    ASSERT_FALSE(cks->empty());
    EXPECT_EQ(cks->front().step, 0);  // written right after the cold start
    // The held-out set is written out, and no training sample's prompt is one of its
    // prompts, although the task space has only 9 prompts.
    std::set<std::string> held_out;
    std::istringstream lines(rl::e2e::ReadFileText(dir + "/heldout.jsonl"));
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) held_out.insert(json::parse(line).at("prompt").get<std::string>());
    }
    EXPECT_GE(held_out.size(), 2u);
    auto samples = s->Samples(1, std::nullopt, 100000);
    ASSERT_TRUE(samples.ok());
    EXPECT_EQ(samples->size(), 3u * 2u * 2u);
    std::set<std::string> trained;
    for (const auto& r : *samples) {
      EXPECT_EQ(held_out.count(r.prompt), 0u) << r.prompt;
      trained.insert(r.prompt);
    }
    EXPECT_FALSE(trained.empty());
  }
  const std::string first_log = rl::e2e::ReadFileText(dir + ".log");
  EXPECT_NE(first_log.find("cold start done: 4 steps"), std::string::npos) << first_log;
  // Resume for one more step: the cold start is not repeated.
  fs::remove(dir + ".log");
  ASSERT_EQ(RunTrain(dir, {"--resume", "--set", "run.steps=4"}), 0)
      << rl::e2e::ReadFileText(dir + ".log");
  const std::string log = rl::e2e::ReadFileText(dir + ".log");
  EXPECT_EQ(log.find("cold start"), std::string::npos) << log;
  auto s = OpenStore(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(Steps(*s, "cold_start/loss"), (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Steps(*s, "train/sequences"), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST(ColdStartE2E, TimeLimitEndsTheRunCleanly) {
  // A limit shorter than the set-up: no cold-start or RL step runs, yet the run ends
  // 'completed' with its reason in the log and a usable state.
  const std::string dir = TempDir("limit");
  ASSERT_EQ(RunTrain(dir, {"--set", "run.time_limit_minutes=0.00001", "--set", "run.steps=1000"}),
            0)
      << rl::e2e::ReadFileText(dir + ".log");
  const std::string log = rl::e2e::ReadFileText(dir + ".log");
  EXPECT_NE(log.find("run.time_limit_minutes reached"), std::string::npos) << log;
  auto s = OpenStore(dir);
  ASSERT_TRUE(s);
  EXPECT_TRUE(Steps(*s, "cold_start/loss").empty());
  EXPECT_TRUE(Steps(*s, "train/sequences").empty());
  auto runs = s->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().status, "completed");
}

}  // namespace
