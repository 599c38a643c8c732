// End-to-end tests of `rl train` with real processes on loopback: the driver and its two
// `rl rollout-worker` children run configs/tiny_e2e.yaml; the tests read the run store.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

namespace {
namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("rl_driver_test_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  return d.string();
}

// Starts `rl train configs/tiny_e2e.yaml --set run.dir=DIR <extra>`; stderr → DIR.log.
pid_t StartTrain(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> argv = {std::string(RL_BINARY_DIR) + "/bin/rl", "train",
                                   std::string(RL_SOURCE_DIR) + "/configs/tiny_e2e.yaml", "--set",
                                   "run.dir=" + dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string log = dir + ".log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) dup2(fileno(f), STDERR_FILENO);
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Log(const std::string& dir) {
  std::ifstream f(dir + ".log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int RunTrain(const std::string& dir, std::vector<std::string> extra) {
  return Wait(StartTrain(dir, std::move(extra)));
}

std::unique_ptr<rl::store::RunStore> OpenStore(const std::string& dir) {
  auto s = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(*s) : nullptr;
}

// metric name → step → value
std::map<int64_t, double> Metric(rl::store::RunStore& s, int64_t run, const std::string& name) {
  std::map<int64_t, double> out;
  auto rows = s.Metrics(run, name);
  if (rows.ok()) {
    for (const auto& r : *rows) out[r.step] = r.value;
  }
  return out;
}

// Waits until the run has a metric row at `step` (the driver flushes after each step).
bool WaitForStep(const std::string& dir, int64_t step, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(dir + "/run.sqlite")) {
      auto s = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
      if (s.ok()) {
        auto runs = (*s)->ListRuns();
        if (runs.ok() && !runs->empty()) {
          auto m = Metric(**s, runs->back().id, "time/step_s");
          if (m.count(step)) return true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t c;
  while (f >> c) out.push_back(c);
  return out;
}

constexpr int64_t kPerStep = 2 * 2;  // prompts_per_step × group_size of tiny_e2e.yaml

// Every sample of the run: per step B×G rows with distinct request ids, each trained once;
// the learner's per-step sequence counts add up to the trained samples.
void ExpectEverySampleOnce(rl::store::RunStore& s, int64_t run, int64_t steps) {
  auto samples = s.Samples(run, std::nullopt, 1'000'000);
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ(static_cast<int64_t>(samples->size()), steps * kPerStep);
  std::set<std::string> ids;
  std::map<int64_t, int64_t> trained;
  for (const auto& r : *samples) {
    auto d = nlohmann::json::parse(r.verifier_details);
    EXPECT_TRUE(ids.insert(d.at("request_id").get<std::string>()).second) << "duplicate sample";
    if (d.at("trained").get<bool>()) ++trained[r.step];
  }
  auto seqs = Metric(s, run, "train/sequences");
  auto total = Metric(s, run, "train/sequences_total");
  int64_t sum = 0;
  for (int64_t k = 1; k <= steps; ++k) {
    EXPECT_EQ(seqs[k], static_cast<double>(trained[k])) << "step " << k;
    sum += trained[k];
  }
  EXPECT_EQ(total[steps], static_cast<double>(sum));
}

TEST(TrainE2E, ThreeStepsTwoWorkersFillEveryTable) {
  std::string dir = TempDir("three");
  ASSERT_EQ(RunTrain(dir, {}), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  auto runs = s->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->back().status, "completed");
  int64_t run = runs->back().id;
  for (const char* name :
       {"reward/mean", "reward/accuracy", "length/mean", "length/p99", "train/loss", "sync/seconds",
        "sync/bytes", "time/step_s", "curriculum/stage"}) {
    EXPECT_EQ(Metric(*s, run, name).size() >= 3, true) << name;
  }
  EXPECT_EQ(Metric(*s, run, "eval/accuracy").count(2), 1u);
  ExpectEverySampleOnce(*s, run, 3);
  // Weights advance: every sample of step k was generated by version k − 1.
  for (int64_t k = 1; k <= 3; ++k) {
    auto rows = s->Samples(run, k, 100);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(static_cast<int64_t>(rows->size()), kPerStep);
    for (const auto& r : *rows) {
      if (r.token_count > 0) {
        EXPECT_EQ(r.policy_version, k - 1) << "step " << k;
      }
    }
  }
  // Budgets 8 → 12 → 16 → 20, one stage per step: transitions after steps 1, 2, 3.
  auto ev = s->CurriculumEvents(run);
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 3u);
  EXPECT_EQ((*ev)[0].old_value, "8");
  EXPECT_EQ((*ev)[0].new_value, "12");
  EXPECT_EQ((*ev)[2].new_value, "20");
  auto stage = Metric(*s, run, "curriculum/budget");
  EXPECT_EQ(stage[1], 8);
  EXPECT_EQ(stage[3], 16);
  // Checkpoints at step 2 (every 2) and at the end (3).
  auto ck = s->Checkpoints(run);
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 2u);
  EXPECT_EQ((*ck)[0].step, 2);
  EXPECT_EQ((*ck)[1].step, 3);
  EXPECT_TRUE(fs::exists((*ck)[1].path + "/model.safetensors"));
  EXPECT_TRUE(fs::exists((*ck)[1].path + "/driver_state.json"));
  fs::remove_all(dir);
}

TEST(TrainE2E, UnknownTaskKindStoresVerifierAlert) {
  std::string dir = TempDir("alert");
  fs::create_directories(dir + "_in");
  {
    std::ofstream f(dir + "_in/tasks.jsonl");
    f << R"({"id":"t1","kind":"no_such_kind","prompt":"1+1?","answer":"2"})"
      << "\n";
  }
  ASSERT_EQ(RunTrain(dir, {"--set", "run.steps=1", "--set",
                           "tasks.sources=[{name: odd, kind: no_such_kind, path: " + dir +
                               "_in/tasks.jsonl}]",
                           "--set", "tasks.eval.every_steps=0"}),
            0)
      << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  int64_t run = s->ListRuns()->back().id;
  auto alerts = s->Alerts(run);
  ASSERT_TRUE(alerts.ok());
  int verifier_alerts = 0;
  for (const auto& a : *alerts) verifier_alerts += a.kind == "verifier";
  EXPECT_EQ(verifier_alerts, kPerStep);  // every sample fell back
  fs::remove_all(dir);
  fs::remove_all(dir + "_in");
}

TEST(TrainE2E, KilledWorkerLosesNoGroup) {
  std::string dir = TempDir("kill");
  pid_t pid = StartTrain(dir, {"--set", "run.steps=5", "--set", "rollout.max_new_tokens=48",
                               "--set", "curriculum.length.stages=[]"});
  ASSERT_TRUE(WaitForStep(dir, 1, 120)) << Log(dir);
  auto kids = Children(pid);
  ASSERT_EQ(kids.size(), 2u) << Log(dir);
  kill(kids[0], SIGKILL);
  ASSERT_EQ(Wait(pid), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  int64_t run = s->ListRuns()->back().id;
  EXPECT_EQ(s->ListRuns()->back().status, "completed");
  ExpectEverySampleOnce(*s, run, 5);
  auto alerts = s->Alerts(run);
  ASSERT_TRUE(alerts.ok());
  bool restarted = false;
  for (const auto& a : *alerts) restarted |= a.kind == "worker_restarted";
  EXPECT_TRUE(restarted) << Log(dir);
  fs::remove_all(dir);
}

TEST(TrainE2E, ResumeContinuesStepsCursorAndStage) {
  std::string a = TempDir("straight"), b = TempDir("resumed");
  ASSERT_EQ(RunTrain(a, {"--set", "run.steps=4"}), 0) << Log(a);
  ASSERT_EQ(RunTrain(b, {"--set", "run.steps=2"}), 0) << Log(b);
  EXPECT_NE(RunTrain(b, {"--set", "run.steps=4"}), 0);  // an existing run needs --resume
  ASSERT_EQ(RunTrain(b, {"--resume", "--set", "run.steps=4"}), 0) << Log(b);
  auto sa = OpenStore(a), sb = OpenStore(b);
  ASSERT_TRUE(sa && sb);
  ASSERT_EQ(sb->ListRuns()->size(), 1u);
  int64_t ra = sa->ListRuns()->back().id, rb = sb->ListRuns()->back().id;
  EXPECT_EQ(sb->ListRuns()->back().status, "completed");
  auto steps = Metric(*sb, rb, "time/step_s");
  EXPECT_EQ(steps.size(), 4u);  // steps 1..4, each once
  EXPECT_EQ(Metric(*sb, rb, "curriculum/budget"), Metric(*sa, ra, "curriculum/budget"));
  ExpectEverySampleOnce(*sb, rb, 4);
  // Same data cursor: the resumed run draws the same prompts as the uninterrupted one.
  for (int64_t k = 3; k <= 4; ++k) {
    auto x = sa->Samples(ra, k, 100), y = sb->Samples(rb, k, 100);
    ASSERT_TRUE(x.ok() && y.ok());
    ASSERT_EQ(x->size(), y->size());
    for (size_t i = 0; i < x->size(); ++i)
      EXPECT_EQ((*x)[i].prompt, (*y)[i].prompt) << "step " << k;
  }
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(TrainE2E, SigintWritesCheckpointAndResumes) {
  std::string dir = TempDir("sigint");
  pid_t pid = StartTrain(dir, {"--set", "run.steps=50", "--set", "checkpoint.every=0"});
  ASSERT_TRUE(WaitForStep(dir, 1, 120)) << Log(dir);
  kill(pid, SIGINT);
  ASSERT_EQ(Wait(pid), 0) << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  auto runs = s->ListRuns();
  EXPECT_EQ(runs->back().status, "interrupted");
  auto ck = s->Checkpoints(runs->back().id);
  ASSERT_TRUE(ck.ok());
  ASSERT_EQ(ck->size(), 1u);
  int64_t stopped = (*ck)[0].step;
  EXPECT_GE(stopped, 1);
  EXPECT_LT(stopped, 50);
  s.reset();
  ASSERT_EQ(RunTrain(dir, {"--resume", "--set", "run.steps=" + std::to_string(stopped + 1)}), 0)
      << Log(dir);
  s = OpenStore(dir);
  auto m = Metric(*s, s->ListRuns()->back().id, "time/step_s");
  EXPECT_EQ(static_cast<int64_t>(m.size()), stopped + 1);
  EXPECT_EQ(m.rbegin()->first, stopped + 1);
  fs::remove_all(dir);
}

// rollout.max_staleness = 1: from step 2 on, a step's samples were generated while the
// previous step trained (marked "overlapped"), by the previous step's policy or the newest one
// (versions k − 2 … k − 1), and still every sample is trained exactly once.
TEST(TrainE2E, OverlapGeneratesTheNextStepWhileTraining) {
  std::string dir = TempDir("overlap");
  ASSERT_EQ(RunTrain(dir, {"--set", "run.steps=4", "--set", "rollout.max_staleness=1"}), 0)
      << Log(dir);
  auto s = OpenStore(dir);
  ASSERT_NE(s, nullptr);
  int64_t run = s->ListRuns()->back().id;
  EXPECT_EQ(s->ListRuns()->back().status, "completed");
  ExpectEverySampleOnce(*s, run, 4);
  auto samples = s->Samples(run, std::nullopt, 1000);
  ASSERT_TRUE(samples.ok());
  for (const auto& r : *samples) {
    auto d = nlohmann::json::parse(r.verifier_details);
    EXPECT_EQ(d.value("overlapped", false), r.step >= 2) << "step " << r.step;
    EXPECT_LE(r.policy_version, r.step - 1) << "step " << r.step;
    EXPECT_GE(r.policy_version, std::max<int64_t>(0, r.step - 2)) << "step " << r.step;
  }
  fs::remove_all(dir);
}

// With the overlap on, SIGINT mid-run then --resume draws the same prompts as an
// uninterrupted run: the checkpoint holds the data cursors from before the dropped prefetch.
TEST(TrainE2E, OverlapSigintThenResumeDrawsTheSamePrompts) {
  std::string a = TempDir("overlap_straight"), b = TempDir("overlap_sigint");
  const std::vector<std::string> common = {"--set", "rollout.max_staleness=1", "--set",
                                           "checkpoint.every=0"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  pid_t pid = StartTrain(b, with({"--set", "run.steps=50"}));
  ASSERT_TRUE(WaitForStep(b, 1, 120)) << Log(b);
  kill(pid, SIGINT);
  ASSERT_EQ(Wait(pid), 0) << Log(b);
  int64_t stopped = 0;
  {
    auto s = OpenStore(b);
    ASSERT_NE(s, nullptr);
    auto ck = s->Checkpoints(s->ListRuns()->back().id);
    ASSERT_TRUE(ck.ok());
    ASSERT_EQ(ck->size(), 1u);
    stopped = (*ck)[0].step;
  }
  ASSERT_GE(stopped, 1);
  const int64_t total = stopped + 2;
  ASSERT_EQ(RunTrain(b, with({"--resume", "--set", "run.steps=" + std::to_string(total)})), 0)
      << Log(b);
  ASSERT_EQ(RunTrain(a, with({"--set", "run.steps=" + std::to_string(total)})), 0) << Log(a);
  auto sa = OpenStore(a), sb = OpenStore(b);
  ASSERT_TRUE(sa && sb);
  int64_t ra = sa->ListRuns()->back().id, rb = sb->ListRuns()->back().id;
  ExpectEverySampleOnce(*sb, rb, total);
  for (int64_t k = 1; k <= total; ++k) {
    auto x = sa->Samples(ra, k, 100), y = sb->Samples(rb, k, 100);
    ASSERT_TRUE(x.ok() && y.ok());
    ASSERT_EQ(x->size(), y->size()) << "step " << k;
    for (size_t i = 0; i < x->size(); ++i)
      EXPECT_EQ((*x)[i].prompt, (*y)[i].prompt) << "step " << k;
  }
  fs::remove_all(a);
  fs::remove_all(b);
}

}  // namespace
