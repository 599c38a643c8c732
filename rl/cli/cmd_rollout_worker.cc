// `rl rollout-worker --listen ADDR [--model DIR] [--threads N] ...`: a gRPC rollout worker
// (rollout/worker_server.h). Without --model it waits for the first UpdateWeights, which
// carries the architecture. SIGINT/SIGTERM: outstanding requests are answered ABORTED, streams
// are closed, the process exits 0.
#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "rl/cli/command.h"
#include "rl/config/config.h"
#include "rl/core/logging.h"
#include "rollout/engine.h"
#include "rollout/model_backend.h"
#include "rollout/worker_server.h"

namespace rl::cli {
namespace {

struct WorkerArgs {
  rollout::SchedulerOptions scheduler;
  rollout::WorkerOptions worker;
  std::string model_dir;
  int threads = 1;
};

StatusOr<WorkerArgs> ReadArgs(const ArgParser& p) {
  WorkerArgs a;
  a.worker.listen = p.Get("listen");
  a.model_dir = p.Get("model");
  if (!p.Get("config").empty()) {
    RL_ASSIGN_OR_RETURN(config::RunConfig cfg, config::LoadConfigFile(p.Get("config"), {}));
    a.scheduler.repetition = rollout::RepetitionConfig::FromSection(cfg.rollout.repetition);
    a.threads = static_cast<int>(cfg.rollout.threads_per_worker);
  }
  auto int_opt = [&](const char* name, auto* out) -> Status {
    if (!p.Has(name)) return absl::OkStatus();
    RL_ASSIGN_OR_RETURN(long long v, p.GetInt(name));
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
    return absl::OkStatus();
  };
  RL_RETURN_IF_ERROR(int_opt("threads", &a.threads));
  RL_RETURN_IF_ERROR(int_opt("max-batch", &a.scheduler.max_batch));
  int64_t state_mb = 1024;
  RL_RETURN_IF_ERROR(int_opt("max-state-mb", &state_mb));
  a.scheduler.max_state_bytes = state_mb << 20;
  RL_RETURN_IF_ERROR(int_opt("heartbeat-ms", &a.worker.heartbeat_ms));
  RL_RETURN_IF_ERROR(int_opt("repetition-consecutive", &a.scheduler.repetition.consecutive));
  RL_RETURN_IF_ERROR(int_opt("ngram", &a.scheduler.repetition.ngram));
  RL_RETURN_IF_ERROR(int_opt("ngram-repeats", &a.scheduler.repetition.ngram_repeats));
  if (p.Has("repetition-prob")) {
    RL_ASSIGN_OR_RETURN(a.scheduler.repetition.prob_threshold, p.GetDouble("repetition-prob"));
  }
  if (a.threads < 1) return absl::InvalidArgumentError("--threads: must be >= 1");
  if (a.scheduler.max_batch < 1) return absl::InvalidArgumentError("--max-batch: must be >= 1");
  if (state_mb < 1) return absl::InvalidArgumentError("--max-state-mb: must be >= 1");
  if (a.worker.heartbeat_ms < 10)
    return absl::InvalidArgumentError("--heartbeat-ms: must be >= 10");
  Status st = a.scheduler.repetition.Validate();
  if (!st.ok())
    return absl::InvalidArgumentError("repetition breaker: " + std::string(st.message()));
  return a;
}

}  // namespace

int RunRolloutWorker(const Args& args) {
  ArgParser p("rl rollout-worker",
              "Serve rollouts over gRPC (rl.proto.Rollout + grpc.health.v1.Health).");
  p.Option("listen", "HOST:PORT", "address to listen on (port 0 picks a free port)");
  p.Option("model", "DIR", "checkpoint directory to load; without it, wait for UpdateWeights");
  p.Option("config", "YAML",
           "take rollout.repetition and rollout.threads_per_worker from a run config");
  p.Option("threads", "N", "compute threads of the model", "1");
  p.Option("max-batch", "N", "live sequences per decode step", "16");
  p.Option("max-state-mb", "MB", "admission limit on decode-state/KV-cache memory", "1024");
  p.Option("heartbeat-ms", "MS", "heartbeat on a silent Generate stream", "2000");
  p.Option("repetition-consecutive", "N", "M1 breaker run length (0 = off)");
  p.Option("repetition-prob", "P", "M1 breaker probability threshold");
  p.Option("ngram", "N", "n-gram breaker n (0 = off)");
  p.Option("ngram-repeats", "K", "n-gram breaker back-to-back repeats (>= 2)");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (!p.Has("listen")) {
    std::cerr << "rl rollout-worker: --listen is required\n";
    return 2;
  }
  auto a = ReadArgs(p);
  if (!a.ok()) return Fail(a.status());

  // Signals are taken synchronously by this thread (sigwait); every thread started from here
  // on inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<rollout::ModelBackend> backend;
  if (!a->model_dir.empty()) {
    auto b =
        rollout::ModelBackend::FromCheckpoint(a->model_dir, a->scheduler.max_batch, a->threads);
    if (!b.ok()) return Fail(b.status());
    backend = std::move(b).value();
  } else {
    backend = std::make_unique<rollout::ModelBackend>(nullptr, a->scheduler.max_batch, a->threads);
  }
  auto engine = std::make_unique<rollout::RolloutEngine>(std::move(backend), a->scheduler);
  auto worker = rollout::RolloutWorker::Start(std::move(engine), a->worker);
  if (!worker.ok()) return Fail(worker.status());
  std::cout << "rl rollout-worker: listening on " << (*worker)->address()
            << (a->model_dir.empty() ? " (waiting for weights)" : " (model " + a->model_dir + ")")
            << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  RL_LOG(Info) << "rl rollout-worker: signal " << sig << ", shutting down";
  (*worker)->Shutdown();
  std::cout << "rl rollout-worker: stopped" << std::endl;
  return 0;
}

}  // namespace rl::cli
