// End to end with the real `rl rollout-worker` process on 127.0.0.1 (a free port chosen by
// the worker, read from its first output line): a model-less worker receives the default
// architecture and weights over UpdateWeights, generates, takes a second version, and exits 0
// on SIGTERM — also with a generation in flight.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "rl/config/run_config.h"
#include "rl/model/forward.h"
#include "rl/model/hf_config.h"
#include "rollout/client.h"
#include "rollout/model_backend.h"
#include "rollout/scheduler.h"

extern char** environ;

namespace rl::rollout {
namespace {

// A child process running `rl rollout-worker`; killed with SIGKILL if the test leaves early.
class WorkerProcess {
 public:
  explicit WorkerProcess(const std::vector<std::string>& extra) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    std::vector<std::string> argv = {std::string(RL_BINARY_DIR) + "/bin/rl",
                                     "rollout-worker",
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--max-batch",
                                     "4"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    EXPECT_EQ(posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[512] = {0};
    if (fgets(line, sizeof line, out_) != nullptr) first_line_ = line;
    const std::string key = "listening on ";
    const size_t at = first_line_.find(key);
    if (at != std::string::npos) {
      address_ = first_line_.substr(at + key.size());
      address_ = address_.substr(0, address_.find_first_of(" \n"));
    }
  }
  ~WorkerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  const std::string& address() const { return address_; }
  const std::string& first_line() const { return first_line_; }

  // Sends sig and waits up to timeout for the exit; returns the exit code (-1: signalled or
  // still running after the timeout, then killed).
  int SignalAndWait(int sig, std::chrono::seconds timeout) {
    kill(pid_, sig);
    const auto end = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string first_line_, address_;
};

model::ModelConfig DefaultModel() {
  auto c = model::ModelConfigFromArch(config::ArchSection{});
  EXPECT_TRUE(c.ok()) << c.status();
  c->eos_token_id = 2;
  return *c;
}

model::ParamMap Params(const model::ModelConfig& c, uint64_t seed) {
  model::ParamMap p = model::InitParams(c, seed);
  for (auto& [name, t] : p) {
    if (t.shape.size() > 1) {
      for (auto& x : t.data) x *= 8.0f;
    }
  }
  return p;
}

std::vector<GenerationRequest> Requests(int n, int64_t budget) {
  std::vector<GenerationRequest> v;
  for (int i = 0; i < n; ++i) {
    GenerationRequest r;
    r.request_id = "p" + std::to_string(i);
    r.prompt = {10 + i, 20 + 3 * i, 30};
    r.max_new_tokens = budget;
    r.sampling.temperature = i % 2 == 0 ? 0.0f : 1.0f;
    r.seed = 77 + i;
    v.push_back(r);
  }
  return v;
}

// The same requests through an in-process scheduler over the same model and batch size.
std::vector<GenerationResult> Local(const model::ModelConfig& c, uint64_t seed,
                                    const std::vector<GenerationRequest>& reqs) {
  auto m = model::Model::Create(c, Params(c, seed), 1);
  EXPECT_TRUE(m.ok());
  ModelBackend backend(std::move(m).value(), 4, 1);
  SchedulerOptions opt;
  opt.max_batch = 4;
  Scheduler s(&backend, opt);
  for (const auto& r : reqs) EXPECT_TRUE(s.Enqueue(r).ok());
  std::vector<GenerationResult> out;
  while (s.HasWork()) EXPECT_TRUE(s.Step(&out).ok());
  return out;
}

TEST(WorkerProcessTest, ReceivesWeightsGeneratesAndExitsZeroOnSigterm) {
  WorkerProcess w({});
  ASSERT_FALSE(w.address().empty()) << "first line: " << w.first_line();
  EXPECT_NE(w.first_line().find("waiting for weights"), std::string::npos);
  ClientOptions opt;
  opt.connect_timeout_s = 20;
  auto client = RolloutClient::Connect({w.address()}, opt);
  ASSERT_TRUE(client.ok()) << client.status();

  const model::ModelConfig c = DefaultModel();
  auto sync = (*client)->PushWeights(1, *model::HfConfigToJson(c), Params(c, 1));
  ASSERT_TRUE(sync.ok()) << sync.status();
  int64_t expected_bytes = 0;
  for (const auto& [n, t] : Params(c, 1)) expected_bytes += 4 * t.numel();
  EXPECT_EQ(sync->bytes_per_worker, expected_bytes);
  std::printf("weight sync v1 (default model, with architecture): %lld bytes, %.1f ms\n",
              static_cast<long long>(sync->bytes_per_worker), sync->total_ms);

  const auto reqs = Requests(6, 24);
  auto got = (*client)->Generate(reqs);
  ASSERT_TRUE(got.ok()) << got.status();
  auto local = Local(c, 1, reqs);
  std::map<std::string, GenerationResult> by_id;
  for (auto& r : local) by_id[r.request_id] = r;
  for (const auto& s : *got) {
    EXPECT_EQ(s.result.tokens, by_id.at(s.result.request_id).tokens) << s.result.request_id;
    // Requests reach the worker one by one, so its batches may be composed differently from
    // the local run: equal up to float summation order.
    const auto& ref = by_id.at(s.result.request_id).logprobs;
    ASSERT_EQ(s.result.logprobs.size(), ref.size());
    for (size_t t = 0; t < ref.size(); ++t) EXPECT_NEAR(s.result.logprobs[t], ref[t], 1e-4);
    EXPECT_EQ(s.result.policy_version, 1);
  }

  // Version 2, same architecture: values only.
  auto sync2 = (*client)->PushWeights(2, "", Params(c, 2));
  ASSERT_TRUE(sync2.ok()) << sync2.status();
  std::printf("weight sync v2 (values only): %lld bytes, %.1f ms\n",
              static_cast<long long>(sync2->bytes_per_worker), sync2->total_ms);
  auto got2 = (*client)->Generate(Requests(2, 8));
  ASSERT_TRUE(got2.ok()) << got2.status();
  for (const auto& s : *got2) EXPECT_EQ(s.result.policy_version, 2);
  EXPECT_EQ((*client)->GetStatus(0)->weight_updates(), 2);

  EXPECT_EQ(w.SignalAndWait(SIGTERM, std::chrono::seconds(20)), 0);
}

TEST(WorkerProcessTest, SigtermWithAGenerationInFlightStillExitsZero) {
  WorkerProcess w({"--repetition-consecutive", "0"});
  ASSERT_FALSE(w.address().empty()) << "first line: " << w.first_line();
  ClientOptions opt;
  opt.connect_timeout_s = 20;
  auto client = RolloutClient::Connect({w.address()}, opt);
  ASSERT_TRUE(client.ok()) << client.status();
  const model::ModelConfig c = DefaultModel();
  ASSERT_TRUE((*client)->PushWeights(1, *model::HfConfigToJson(c), Params(c, 1)).ok());
  std::vector<GenerationRequest> reqs = Requests(1, 1000000);
  reqs[0].stop_tokens.clear();
  StatusOr<std::vector<WorkerSample>> result = absl::UnknownError("not run");
  std::thread gen([&] { result = (*client)->Generate(reqs); });
  while ((*client)->GetStatus(0)->tokens_generated() < 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(w.SignalAndWait(SIGINT, std::chrono::seconds(20)), 0);
  gen.join();
  // The only worker went away: the request is reported unanswered, not silently lost.
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rl::rollout

namespace rl::rollout {
namespace {

TEST(WorkerProcessTest, LoadsACheckpointDirectoryWithModel) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RL_BINARY_DIR) / "tmp" / "rollout_worker_ckpt";
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  const std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl model init --seed 3 --out " +
                          dir.string() + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  WorkerProcess w({"--model", dir.string()});
  ASSERT_FALSE(w.address().empty()) << "first line: " << w.first_line();
  ClientOptions opt;
  opt.connect_timeout_s = 20;
  auto client = RolloutClient::Connect({w.address()}, opt);
  ASSERT_TRUE(client.ok()) << client.status();
  auto st = (*client)->GetStatus(0);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->has_model());
  EXPECT_EQ(st->policy_version(), 0);
  EXPECT_GT(st->num_parameters(), 0);

  std::vector<GenerationRequest> reqs(1);
  reqs[0].request_id = "ckpt";
  reqs[0].prompt = {5, 6, 7};
  reqs[0].max_new_tokens = 12;
  reqs[0].sampling.temperature = 0.0;
  auto got = (*client)->Generate(reqs);
  ASSERT_TRUE(got.ok()) << got.status();

  auto local_backend = ModelBackend::FromCheckpoint(dir.string(), 1, 1);
  ASSERT_TRUE(local_backend.ok()) << local_backend.status();
  SchedulerOptions sopt;
  sopt.max_batch = 1;
  Scheduler s(local_backend->get(), sopt);
  ASSERT_TRUE(s.Enqueue(reqs[0]).ok());
  std::vector<GenerationResult> out;
  while (s.HasWork()) ASSERT_TRUE(s.Step(&out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ((*got)[0].result.tokens, out[0].tokens);
  EXPECT_EQ((*got)[0].result.finish_reason, out[0].finish_reason);
  EXPECT_EQ((*got)[0].result.policy_version, 0);

  EXPECT_EQ(w.SignalAndWait(SIGTERM, std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rl::rollout
