// A live-but-silent rollout worker (SIGSTOPped: its sockets stay open, it never answers)
// during `rl train configs/tiny_e2e.yaml` with two real local workers on loopback: the
// worker misses the rollout.push_timeout_s deadline of a weight push or status check, is
// dropped (alert worker_dropped naming its pid), killed and restarted, and the run completes
// with every sample trained once. Assertions read the run store (alerts, metrics), never the
// wall clock of this test.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rl/store/run_store.h"
#include "tests/driver/train_process.h"

namespace {
namespace fs = std::filesystem;
using rl::e2e::Log;
using rl::e2e::Metric;
using rl::e2e::OpenStore;
using rl::e2e::Wait;
using rl::e2e::WaitForStep;
const std::string kTrainConfig = std::string(RL_SOURCE_DIR) + "/configs/tiny_e2e.yaml";
std::string TempDir(const std::string& name) { return rl::e2e::FreshDir("rl_silent_test_", name); }
pid_t StartTrain(const std::string& dir, std::vector<std::string> extra) {
  return rl::e2e::StartTrain(kTrainConfig, dir, std::move(extra));
}

constexpr double kPushTimeoutS = 5.0;
constexpr int64_t kSteps = 4;
constexpr int64_t kPerStep = 2 * 2;  // prompts_per_step × group_size of tiny_e2e.yaml

std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t c;
  while (f >> c) out.push_back(c);
  return out;
}

TEST(SilentWorker, StoppedWorkerIsDroppedRestartedAndTheRunCompletes) {
  std::string dir = TempDir("stop");
  pid_t pid = StartTrain(dir, {"--set", "run.steps=" + std::to_string(kSteps), "--set",
                               "rollout.push_timeout_s=" + std::to_string(kPushTimeoutS), "--set",
                               "rollout.request_timeout_s=120", "--set", "tasks.eval.every_steps=0",
                               "--set", "checkpoint.every=0"});
  ASSERT_TRUE(WaitForStep(dir, 1, 120)) << Log(dir);
  auto kids = Children(pid);
  ASSERT_EQ(kids.size(), 2u) << Log(dir);
  const pid_t stopped = kids[0];
  ASSERT_EQ(kill(stopped, SIGSTOP), 0);
  const int rc = Wait(pid);
  // If the driver failed to reap it, do not leave a stopped process behind.
  if (kill(stopped, 0) == 0) {
    kill(stopped, SIGKILL);
    kill(stopped, SIGCONT);
    ADD_FAILURE() << "the stopped worker " << stopped << " outlived the driver";
  }
  ASSERT_EQ(rc, 0) << Log(dir);

  auto st = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
  ASSERT_TRUE(st.ok());
  rl::store::RunStore& s = **st;
  auto runs = s.ListRuns();
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->back().status, "completed");
  const int64_t run = runs->back().id;

  // The drop: an alert naming the stopped pid, for a missed push or status deadline, with
  // the measured time of the missed call within the deadline plus slack.
  auto alerts = s.Alerts(run);
  ASSERT_TRUE(alerts.ok());
  int64_t drop_step = -1;
  std::string missed;
  bool restarted = false;
  for (const auto& a : *alerts) {
    restarted |= a.kind == "worker_restarted";
    if (a.kind != "worker_dropped") continue;
    auto ev = nlohmann::json::parse(a.evidence);
    if (ev.value("pid", -1) != stopped) continue;
    drop_step = a.step;
    missed = ev.at("missed").get<std::string>();
    EXPECT_TRUE(missed == "weight push" || missed == "status" || missed == "generation stream")
        << missed;
    EXPECT_DOUBLE_EQ(ev.at("deadline_s").get<double>(), kPushTimeoutS);
    EXPECT_GE(ev.at("elapsed_ms").get<double>(), 0.9 * kPushTimeoutS * 1000) << a.evidence;
    EXPECT_LE(ev.at("elapsed_ms").get<double>(), (kPushTimeoutS + 10) * 1000) << a.evidence;
  }
  ASSERT_GE(drop_step, 1) << "no worker_dropped alert for pid " << stopped << "\n" << Log(dir);
  EXPECT_TRUE(restarted) << Log(dir);

  // Every weight push of the run, the one with the drop included, finished within the
  // deadline + slack (not after request_timeout_s, nor the old 600 s); each step was logged.
  auto sync = Metric(s, run, "sync/push_seconds");
  auto dropped = Metric(s, run, "sync/workers_dropped");
  EXPECT_EQ(Metric(s, run, "time/step_s").size(), static_cast<size_t>(kSteps));
  for (int64_t k = 1; k <= kSteps; ++k) {
    ASSERT_TRUE(sync.count(k)) << "step " << k;
    EXPECT_LE(sync[k], 2 * kPushTimeoutS + 10) << "step " << k;
  }
  // A drop at a push (missed push, or a silent stream found then) is counted in that push's
  // metrics (a status-check drop is recorded by its alert only).
  if (missed != "status") {
    EXPECT_GE(dropped[drop_step], 1) << Log(dir);
  }

  // No group lost or double-counted: every request answered once and trained once.
  auto samples = s.Samples(run, std::nullopt, 1'000'000);
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ(static_cast<int64_t>(samples->size()), kSteps * kPerStep);
  std::set<std::string> ids;
  std::map<int64_t, int64_t> trained;
  for (const auto& r : *samples) {
    auto d = nlohmann::json::parse(r.verifier_details);
    EXPECT_TRUE(ids.insert(d.at("request_id").get<std::string>()).second) << "duplicate sample";
    if (d.at("trained").get<bool>()) ++trained[r.step];
  }
  auto seqs = Metric(s, run, "train/sequences");
  for (int64_t k = 1; k <= kSteps; ++k) EXPECT_EQ(seqs[k], static_cast<double>(trained[k]));
  // The stopped worker is gone (killed and reaped by the driver).
  EXPECT_EQ(kill(stopped, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  fs::remove_all(dir);
  fs::remove(dir + ".log");
}

}  // namespace
