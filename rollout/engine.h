// RolloutEngine: a Scheduler driven by one engine thread, fed from any thread. Requests,
// cancellations and weight updates are posted to an inbox; the engine thread drains it
// between decode steps, so a weight update is applied atomically between two steps.
//
// Callbacks (sample done, weights applied) run on the engine thread with no engine lock
// held; they must return quickly (post to a gRPC reactor, push to a queue) and must not call
// back into the engine synchronously except through the thread-safe entry points below.
// Every submitted request gets exactly one on_done call (rejected ones too, with kAborted
// and `error` set), including when the engine stops. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rollout/backend.h"
#include "rollout/request.h"
#include "rollout/scheduler.h"

namespace rl::rollout {

struct WeightApplyResult {
  Status status;
  int64_t version = 0;
  double wait_ms = 0;   // posted → the engine thread picked it up (the step in flight)
  double apply_ms = 0;  // copying / building the model
};

class RolloutEngine {
 public:
  using SampleCallback = std::function<void(GenerationResult)>;
  using WeightsCallback = std::function<void(const WeightApplyResult&)>;

  RolloutEngine(std::unique_ptr<Backend> backend, SchedulerOptions options);
  ~RolloutEngine();  // Stop("engine destroyed")
  RolloutEngine(const RolloutEngine&) = delete;
  RolloutEngine& operator=(const RolloutEngine&) = delete;

  // Queues request; returns a handle for Cancel. request_id need only be unique per caller.
  uint64_t Submit(GenerationRequest request, SampleCallback on_done);
  void Cancel(uint64_t handle);

  // Applies update between two decode steps and then calls on_applied.
  void UpdateWeights(WeightUpdate update, WeightsCallback on_applied);
  WeightApplyResult UpdateWeightsAndWait(WeightUpdate update);

  // Aborts everything queued or live (callbacks run) and joins the engine thread. Later
  // Submits are answered with kAborted at once. Idempotent.
  void Stop(const std::string& reason);

  SchedulerStats Stats() const;  // a snapshot taken after the latest iteration
  int64_t num_parameters() const;
  int64_t state_bytes_limit() const { return state_bytes_limit_; }

 private:
  struct Pending {
    uint64_t handle;
    GenerationRequest request;
    Clock::time_point received;
  };
  struct PendingWeights {
    WeightUpdate update;
    WeightsCallback done;
    Clock::time_point posted;
  };
  void Loop();
  void Deliver(std::vector<GenerationResult>& finished);

  std::unique_ptr<Backend> backend_;
  Scheduler scheduler_;  // engine thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::string stop_reason_;
  uint64_t next_handle_ = 1;
  std::vector<Pending> inbox_;
  std::vector<uint64_t> cancels_;
  std::vector<PendingWeights> weights_;
  SchedulerStats stats_;
  int64_t num_parameters_ = 0;
  int64_t state_bytes_limit_ = 0;
  // handle → (caller's request id, callback); touched under mu_.
  std::map<uint64_t, std::pair<std::string, SampleCallback>> callbacks_;
  std::thread thread_;
};

}  // namespace rl::rollout
