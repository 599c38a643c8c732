// Internal to rl/driver: the Driver class behind RunTraining (train_loop.h), split over
// train_loop.cc (set-up, the step, the loop), worker_set.cc (connection, weight pushes,
// health checks, dropping workers that miss deadlines) and eval_checkpoint.cc (held-out
// evaluation, checkpoints). Not thread-safe; one Driver per `rl train` process.
#pragma once

#include <signal.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include "curricula/length_curriculum.h"
#include "curricula/task_mix.h"
#include "learner/advantages.h"
#include "learner/options_from_config.h"
#include "learner/trainer.h"
#include "rewards/pipeline.h"
#include "rl/core/logging.h"
#include "rl/driver/local_workers.h"
#include "rl/driver/train_loop.h"
#include "rl/model/checkpoint.h"
#include "rl/model/hf_config.h"
#include "rl/model/params.h"
#include "rl/tasks/chat_template.h"
#include "rl/tasks/task.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/client.h"

namespace rl::driver::internal {
using Clock = std::chrono::steady_clock;

class Driver {
 public:
  Driver(RunContext& ctx, const TrainOptions& options)
      : ctx_(ctx), cfg_(ctx.config), options_(options) {}
  ~Driver() {
    client_.reset();
    workers_.StopAll();
  }

  Status Setup();
  Status Run();

 private:
  Status SetupModel();
  Status SetupWorkers();
  Status Reconnect();
  StatusOr<tasks::Task> NextTask(size_t source);
  StatusOr<std::vector<rollout::WorkerSample>> Generate(
      const std::vector<rollout::GenerationRequest>& requests, int64_t step);
  Status CheckWorkers(int64_t step);
  // worker_set.cc: a worker that missed a push/status deadline.
  struct MissedDeadline {
    int worker = 0;
    std::string what;  // "weight push" | "status" | "generation stream"
    double elapsed_ms = 0;
    std::string error;
  };
  Status DropWorkers(const std::vector<MissedDeadline>& missed, int64_t step);
  Status Step(int64_t step);
  Status Evaluate(int64_t step);
  Status SaveCheckpoint(int64_t step);
  Status PushWeights(int64_t version, int64_t step);
  std::string Response(const std::vector<int32_t>& tokens) const;
  void Alert(int64_t step, const std::string& kind, const std::string& message,
             const std::string& severity = "warning",
             nlohmann::json evidence = nlohmann::json::object());

  RunContext& ctx_;
  const config::RunConfig& cfg_;
  TrainOptions options_;
  std::unique_ptr<learner::Learner> learner_;
  std::unique_ptr<tokenizer::Tokenizer> tok_;
  std::string config_json_;
  std::vector<int32_t> stop_tokens_;
  LocalWorkers workers_;
  std::vector<std::string> addresses_;
  std::unique_ptr<rollout::RolloutClient> client_;
  rewards::Rewards rewards_;
  std::optional<curricula::TaskMix> mix_;
  std::unique_ptr<curricula::LengthCurriculum> curriculum_;
  std::vector<std::vector<tasks::Task>> file_tasks_;  // per source (JSONL sources)
  std::vector<int64_t> cursors_;                      // per source: tasks drawn so far
  std::vector<tasks::Task> eval_tasks_;
  int64_t start_step_ = 1;  // first step to run
  int64_t version_ = 0;     // weights version live on the workers
  int64_t sequences_consumed_ = 0;
  std::string curriculum_state_;  // from the checkpoint being resumed
  Clock::time_point started_ = Clock::now();
};

}  // namespace rl::driver::internal
