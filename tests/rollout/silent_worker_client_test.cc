// The client against a live-but-silent worker: two real `rl rollout-worker` processes on
// 127.0.0.1, one SIGSTOPped (its sockets stay open, nothing answers). A weight push and a
// status call to it end with DEADLINE_EXCEEDED at their own deadlines while the other worker
// gets the version; a Generate stream to it is cancelled by the silence watchdog and its
// requests are answered by the other worker; a disabled worker gets no requests and no
// weights.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "rl/model/hf_config.h"
#include "rl/model/params.h"
#include "rollout/client.h"

extern char** environ;

namespace rl::rollout {
namespace {

constexpr double kDeadlineS = 6.0;  // push, status and stream-silence deadline

class WorkerProcess {
 public:
  WorkerProcess() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    std::vector<std::string> argv = {std::string(RL_BINARY_DIR) + "/bin/rl",
                                     "rollout-worker",
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--heartbeat-ms",
                                     "200"};
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
    std::string first;
    if (fgets(line, sizeof line, out_) != nullptr) first = line;
    const std::string key = "listening on ";
    const size_t at = first.find(key);
    if (at != std::string::npos) {
      address_ = first.substr(at + key.size());
      address_ = address_.substr(0, address_.find_first_of(" \n"));
    }
  }
  ~WorkerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);  // also ends a stopped process
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string address_;
};

model::ModelConfig TinyModel() {
  model::ModelConfig c;
  c.vocab_size = 64;
  c.hidden_size = 16;
  c.num_layers = 2;
  c.layer_types = {model::LayerType::kLightning, model::LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 8;
  c.num_kv_heads = 1;
  c.rotary_dim = 4;
  c.intermediate_size = 12;
  c.num_experts = 2;
  c.experts_per_token = 1;
  c.max_position = 128;
  return c;
}

std::vector<GenerationRequest> Requests(const std::string& tag, int n) {
  std::vector<GenerationRequest> v;
  for (int i = 0; i < n; ++i) {
    GenerationRequest r;
    r.request_id = tag + std::to_string(i);
    r.prompt = {1 + i, 5, 9};
    r.max_new_tokens = 6;
    r.sampling.temperature = 0;
    v.push_back(r);
  }
  return v;
}

TEST(SilentWorkerClient, DeadlinesDropNothingButTheSilentWorker) {
  WorkerProcess a, b;
  ASSERT_FALSE(a.address().empty());
  ASSERT_FALSE(b.address().empty());
  ClientOptions opt;
  opt.connect_timeout_s = 20;
  // Several heartbeats (2 s) long, so the live worker never looks silent on a loaded
  // machine (with 2 s, one late heartbeat of A under `ctest -j2` failed the test once).
  opt.rpc_timeout_s = kDeadlineS;
  opt.weights_timeout_s = kDeadlineS;
  opt.stream_idle_timeout_s = kDeadlineS;
  opt.generate_timeout_s = 300;  // far beyond the watchdog: only silence can end B's stream
  auto client = RolloutClient::Connect({a.address(), b.address()}, opt);
  ASSERT_TRUE(client.ok()) << client.status();
  RolloutClient& c = **client;
  const model::ModelConfig mc = TinyModel();
  ASSERT_TRUE(c.PushWeights(1, *model::HfConfigToJson(mc), model::InitParams(mc, 1)).ok());
  auto both = c.Generate(Requests("warm", 4));
  ASSERT_TRUE(both.ok()) << both.status();

  ASSERT_EQ(kill(b.pid(), SIGSTOP), 0);
  // Weight push: A gets version 2, B misses its deadline; the whole push fails naming B.
  WeightSyncStats s = c.PushWeightsEach(2, "", model::InitParams(mc, 2));
  ASSERT_EQ(s.worker_status.size(), 2u);
  EXPECT_TRUE(s.worker_status[0].ok()) << s.worker_status[0];
  EXPECT_EQ(s.worker_status[1].code(), absl::StatusCode::kDeadlineExceeded) << s.worker_status[1];
  EXPECT_NE(std::string(s.worker_status[1].message()).find(b.address()), std::string::npos);
  std::printf("push to the stopped worker ended after %.0f ms (deadline %.0f ms)\n", s.worker_ms[1],
              kDeadlineS * 1000.0);
  auto whole = c.PushWeights(2, "", model::InitParams(mc, 2));
  EXPECT_EQ(whole.status().code(), absl::StatusCode::kDeadlineExceeded);
  // Status: the same.
  EXPECT_TRUE(c.GetStatus(0).ok());
  EXPECT_EQ(c.GetStatus(1).status().code(), absl::StatusCode::kDeadlineExceeded);

  // Generate with B still enabled: B's stream goes silent (no heartbeat), the watchdog
  // cancels it and A answers everything, each request once.
  auto got = c.Generate(Requests("g", 6));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 6u);
  std::set<std::string> ids;
  for (const auto& w : *got) {
    EXPECT_EQ(w.worker, 0) << w.result.request_id;
    EXPECT_EQ(w.result.policy_version, 2) << w.result.request_id;
    EXPECT_TRUE(ids.insert(w.result.request_id).second);
  }

  // The cancelled stream is reported once, with the silence it was cancelled after.
  auto silent = c.TakeSilentStreams();
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_EQ(silent[0].worker, 1);
  EXPECT_GE(silent[0].silent_ms, kDeadlineS * 1000.0);
  EXPECT_NE(silent[0].error.find("no sample or heartbeat"), std::string::npos) << silent[0].error;
  EXPECT_TRUE(c.TakeSilentStreams().empty());

  // Dropped: B takes no part in pushes or generation.
  c.SetWorkerEnabled(1, false);
  EXPECT_FALSE(c.worker_enabled(1));
  EXPECT_EQ(c.num_enabled(), 1);
  auto p3 = c.PushWeights(3, "", model::InitParams(mc, 3));
  ASSERT_TRUE(p3.ok()) << p3.status();
  EXPECT_EQ(p3->worker_status[1].code(), absl::StatusCode::kFailedPrecondition);
  auto got3 = c.Generate(Requests("h", 3));
  ASSERT_TRUE(got3.ok());
  for (const auto& w : *got3) {
    EXPECT_EQ(w.worker, 0);
    EXPECT_EQ(w.result.policy_version, 3);
  }
  c.SetWorkerEnabled(0, false);
  EXPECT_EQ(c.Generate(Requests("x", 1)).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(c.PushWeights(4, "", model::InitParams(mc, 4)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rl::rollout
