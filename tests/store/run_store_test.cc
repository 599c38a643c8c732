#include "rl/store/run_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rl/store/schema.h"

namespace rl::store {
namespace {
namespace fs = std::filesystem;

std::string FreshPath(const std::string& name) {
  std::string dir = testing::TempDir() + "/store_" + name + "_" + std::to_string(getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir + "/run.sqlite";
}

TEST(RunStore, RoundTripOfEveryTable) {
  std::string path = FreshPath("roundtrip");
  int64_t run_id;
  {
    auto st = RunStore::Open(path);
    ASSERT_TRUE(st.ok()) << st.status();
    auto& s = **st;
    EXPECT_EQ(s.schema_version(), LatestSchemaVersion());
    auto id = s.CreateRun("demo", "run: {name: demo}\n", "/tmp/demo");
    ASSERT_TRUE(id.ok());
    run_id = *id;
    s.LogMetrics(run_id, 1, {{"train/loss", 0.5}, {"reward/mean", 0.25}});
    s.LogMetric(run_id, 2, "train/loss", 0.4);
    SampleRow sample;
    sample.run_id = run_id;
    sample.step = 1;
    sample.group_idx = 3;
    sample.prompt_id = "p7";
    sample.prompt = "What is 2+2?";
    sample.response = "<think>…</think> \\boxed{4}";
    sample.token_count = 12;
    sample.reward = 1.0;
    sample.correct = true;
    sample.verifier_details = R"({"extracted":"4"})";
    sample.finish_reason = "eos";
    sample.policy_version = 5;
    s.AddSample(sample);
    s.AddCurriculumEvent(
        {0, run_id, 10, "length", "40960", "49152", "converged", R"({"ppl":[1]})", 0});
    s.AddAlert(
        {0, run_id, 11, "length_bias", "warning", "length and reward rise together", "{}", 0});
    s.AddCheckpoint({0, run_id, 10, "checkpoints/step_10", "{}", 0});
    s.SetRunStatus(run_id, "finished", true);
    ASSERT_TRUE(s.Flush().ok());
  }
  auto st = RunStore::OpenReadOnly(path);
  ASSERT_TRUE(st.ok()) << st.status();
  auto runs = (*st)->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].name, "demo");
  EXPECT_EQ((*runs)[0].status, "finished");
  EXPECT_TRUE((*runs)[0].ended_at.has_value());
  EXPECT_EQ((*runs)[0].config_yaml, "run: {name: demo}\n");
  auto m = (*st)->Metrics(run_id, "train/*");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].step, 1);
  EXPECT_DOUBLE_EQ((*m)[0].value, 0.5);
  EXPECT_DOUBLE_EQ((*m)[1].value, 0.4);
  auto samples = (*st)->Samples(run_id, 1, 10);
  ASSERT_TRUE(samples.ok());
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].response, "<think>…</think> \\boxed{4}");
  EXPECT_EQ((*samples)[0].correct, std::optional<bool>(true));
  EXPECT_EQ((*samples)[0].policy_version, 5);
  EXPECT_EQ((*st)->Samples(run_id, 2, 10)->size(), 0u);
  EXPECT_EQ((*st)->CurriculumEvents(run_id)->at(0).new_value, "49152");
  EXPECT_EQ((*st)->Alerts(run_id)->at(0).kind, "length_bias");
  EXPECT_EQ((*st)->Checkpoints(run_id)->at(0).path, "checkpoints/step_10");
  EXPECT_EQ(*(*st)->CountRows("metrics", run_id), 3);
  EXPECT_FALSE((*st)->CountRows("runs; DROP TABLE runs", run_id).ok());
}

TEST(RunStore, ReopenKeepsDataAndDoesNotRemigrate) {
  std::string path = FreshPath("reopen");
  {
    auto s = RunStore::Open(path);
    ASSERT_TRUE(s.ok());
    auto id = (*s)->CreateRun("a", "", "");
    (*s)->LogMetric(*id, 0, "x", 1.0);
  }  // the destructor flushes
  auto s = RunStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->ListRuns()->size(), 1u);
  EXPECT_EQ(*(*s)->CountRows("metrics", 1), 1);
}

TEST(RunStore, RefusesNewerSchemaAndGarbage) {
  std::string path = FreshPath("newer");
  {
    auto s = RunStore::Open(path);
    ASSERT_TRUE(s.ok());
  }
  {
    auto db = OpenDb(path, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Exec(db->get(), "PRAGMA user_version=999;").ok());
  }
  auto s = RunStore::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("999"), std::string::npos);

  std::string garbage = FreshPath("garbage");
  std::ofstream(garbage) << std::string(4096, 'x');
  auto g = RunStore::Open(garbage);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss) << g.status();
  // The file we could not read is left as it was.
  EXPECT_EQ(fs::file_size(garbage), 4096u);
}

// A child process writes batches of metrics, reporting each committed batch on a pipe; it is
// killed with SIGKILL mid-stream. The database must open cleanly and hold every reported batch,
// and every batch must be whole (a batch is one transaction).
TEST(RunStore, SurvivesSigkillOfTheWriter) {
  std::string path = FreshPath("crash");
  constexpr int kPerBatch = 50;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto s = RunStore::Open(path);
    if (!s.ok()) _exit(3);
    auto id = (*s)->CreateRun("crash", "", "");
    if (!id.ok()) _exit(4);
    for (int batch = 0;; ++batch) {
      std::map<std::string, double> values;
      for (int i = 0; i < kPerBatch; ++i) values["m" + std::to_string(i)] = batch;
      (*s)->LogMetrics(*id, batch, values);
      if (!(*s)->Flush().ok()) _exit(5);
      int32_t b = batch;
      if (write(fds[1], &b, sizeof(b)) != sizeof(b)) _exit(6);
    }
  }
  close(fds[1]);
  int32_t last = -1, b;
  while (last < 40 && read(fds[0], &b, sizeof(b)) == sizeof(b)) last = b;
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  while (read(fds[0], &b, sizeof(b)) == sizeof(b)) last = b;  // reports sent before the kill
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
  ASSERT_GE(last, 40);

  auto s = RunStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.status();
  auto rows = (*s)->Metrics(1, "*");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::map<int64_t, int> per_step;
  for (const auto& r : *rows) per_step[r.step]++;
  for (int step = 0; step <= last; ++step) {
    EXPECT_EQ(per_step[step], kPerBatch) << "committed batch " << step << " incomplete";
  }
  for (const auto& [step, n] : per_step) EXPECT_EQ(n, kPerBatch) << "torn batch " << step;
}

TEST(RunStore, ReaderNeverBlocksWhileWriting) {
  std::string path = FreshPath("concurrent");
  auto s = RunStore::Open(path);
  ASSERT_TRUE(s.ok());
  auto id = (*s)->CreateRun("c", "", "");
  ASSERT_TRUE(id.ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int step = 0; step < 300; ++step) {
      (*s)->LogMetrics(*id, step, {{"a", step * 1.0}, {"b", step * 2.0}});
      if (step % 10 == 0) (*s)->Flush().IgnoreError();
    }
    (*s)->Flush().IgnoreError();
    done = true;
  });
  // An independent connection, as `sqlite3` or `rl metrics` in another process would use.
  auto reader = RunStore::OpenReadOnly(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  int64_t previous = 0;
  int reads = 0;
  while (!done || reads < 5) {
    auto n = (*reader)->CountRows("metrics", *id);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n % 2, 0) << "saw half of a step's batch";
    EXPECT_GE(*n, previous);
    previous = *n;
    ++reads;
  }
  writer.join();
  EXPECT_EQ(*(*reader)->CountRows("metrics", *id), 600);
}

}  // namespace
}  // namespace rl::store

namespace rl::store {
namespace {

// A database written by schema version 1 is migrated on open, keeping its rows.
TEST(RunStore, MigratesAnOlderSchemaKeepingData) {
  std::string path = FreshPath("migrate");
  {
    auto db = OpenDb(path, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Exec(db->get(), Migrations()[0]).ok());
    ASSERT_TRUE(Exec(db->get(), "PRAGMA user_version=1;").ok());
    ASSERT_TRUE(Exec(db->get(),
                     "INSERT INTO runs(name, config_yaml, status, started_at, "
                     "framework_version) VALUES('old', '', 'finished', 1, '0.0.1');")
                    .ok());
  }
  auto s = RunStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->schema_version(), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 2);
  auto runs = (*s)->ListRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].name, "old");
  (*s)->UpsertPromptStats({{1, "p", 2, 1, "10", 5}});
  ASSERT_TRUE((*s)->Flush().ok());
  EXPECT_EQ((*s)->PromptStats(1)->size(), 1u);
}

}  // namespace
}  // namespace rl::store
