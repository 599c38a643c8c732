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
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include "curricula/difficulty.h"
#include "curricula/length_curriculum.h"
#include "curricula/task_mix.h"
#include "learner/advantages.h"
#include "learner/options_from_config.h"
#include "learner/trainer.h"
#include "rewards/pipeline.h"
#include "rl/core/logging.h"
#include "rl/driver/curriculum_hooks.h"
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
    JoinPrefetch();
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
  // One step's generated and scored samples, group after group (G samples each).
  struct StepRollout {
    std::vector<tasks::Task> tasks;             // per group
    std::vector<std::vector<int32_t>> prompts;  // per group
    std::vector<rollout::GenerationRequest> reqs;
    std::vector<rollout::GenerationResult> res;
    std::vector<std::string> texts;
    std::vector<rewards::VerifyResult> vr;
    std::vector<double> reward;
    std::vector<bool> keep;           // trained (per sample)
    std::vector<bool> dropped_group;  // dynamic sampling dropped the group
    int64_t tripped = 0, truncated = 0, aborted = 0, judged = 0, correct = 0;
    double gen_s = 0;
  };
  // Draws n prompts (groups first_group …), generates and scores them into *out.
  Status Rollout(int64_t step, int64_t first_group, int64_t n, StepRollout* out);
  // worker_set.cc: a worker that missed a push/status deadline.
  struct MissedDeadline {
    int worker = 0;
    std::string what;  // "weight push" | "status" | "generation stream"
    double elapsed_ms = 0;
    std::string error;
  };
  Status DropWorkers(const std::vector<MissedDeadline>& missed, int64_t step);
  Status Step(int64_t step);
  // Overlap (rollout.max_staleness > 0, train_loop.cc): the next step's rollout is generated
  // on a second thread while this step trains. JoinPrefetch waits for it (the result is kept
  // for the next Step); the main thread calls it before anything that could race with it
  // (evaluation, checkpoints, reconnecting the client, exit).
  void LaunchPrefetch(int64_t next_step);
  void JoinPrefetch();
  bool OnPrefetchThread() const { return std::this_thread::get_id() != main_thread_; }
  // curriculum_glue.cc: difficulty filter, dynamic sampling, length-bias monitor, per-stage
  // clipping (the curriculum wiring of the step).
  Status SetupCurricula();
  StatusOr<tasks::Task> DrawTask(int64_t step, size_t source, int64_t group);
  Status RefillZeroVariance(int64_t step, StepRollout* ro, learner::Metrics* m);
  void RecordDifficulty(int64_t step, const StepRollout& ro, learner::Metrics* m);
  void MonitorLengthBias(int64_t step, StepRollout* ro, learner::Metrics* m);
  void ApplyStageClipping(learner::Metrics* m);
  // Held-out accuracy; metrics `<prefix>/accuracy` and `<prefix>/mean_length` at `step`.
  Status Evaluate(int64_t step, const std::string& prefix = "eval");
  // The SFT cold start (cold_start.cc): cold_start.steps supervised steps on the sources'
  // reference responses, then a fresh RL learner from the resulting weights.
  Status ColdStart();
  StatusOr<tasks::Task> DrawGeneratorTask(size_t source, int64_t n, uint64_t seed_base);
  bool TimeUp() const;
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
  std::set<std::string> eval_prompts_;  // training draws skip these (held out)
  std::vector<int64_t> cold_cursors_;   // per source: cold-start examples drawn
  int64_t last_eval_step_ = -1;
  bool quiet_sync_ = false;
  // Snapshots the rollout reads (set on the main thread before a rollout starts, so the
  // prefetch thread never reads state the main thread is changing).
  int64_t rollout_budget_ = 0;
  int64_t rollout_min_version_ = 0;
  std::thread::id main_thread_ = std::this_thread::get_id();
  std::future<Status> prefetch_;
  int64_t prefetch_step_ = 0;  // the step the prefetched rollout belongs to
  std::unique_ptr<StepRollout> prefetched_;
  std::optional<Status> prefetch_status_;  // set by JoinPrefetch
  std::optional<std::vector<int64_t>>
      cursors_before_prefetch_;  // what a checkpoint saves  // no sync/* metrics (cold-start
                                 // pushes)
  int64_t start_step_ = 1;       // first step to run
  int64_t version_ = 0;          // weights version live on the workers
  int64_t sequences_consumed_ = 0;
  std::string curriculum_state_;                             // from the checkpoint being resumed
  std::string length_bias_state_;                            // from the checkpoint being resumed
  std::unique_ptr<curricula::DifficultyFilter> difficulty_;  // null when disabled
  std::unique_ptr<LengthBiasHook> length_bias_;
  learner::PolicyLossOptions base_loss_;  // algorithm section's clipping
  FilterCounts filter_counts_;            // of the step in flight
  bool pause_requested_ = false;          // length_bias action pause fired
  Clock::time_point started_ = Clock::now();
};

}  // namespace rl::driver::internal
