// Continuous batching over a Backend: a FIFO queue of generation requests, up to max_batch
// live sequences advanced together by one batched decode step per iteration; a sequence that
// finishes (eos/stop token, budget, repetition breaker, abort) frees its slot and state
// bytes at once and queued requests join in the next iteration.
//
// Admission control: a request is admitted only while the sum of Backend::StateBytes(prompt
// + budget) over live sequences stays within max_state_bytes (a request that could never fit
// is aborted with an error) and, if it asks for min_policy_version, once that version is live.
// Requests wait in the queue while there is no model (a worker waiting for its weights).
//
// Weight updates: ApplyWeights() is called by the owner between two Step() calls, so a
// decode step never mixes two parameter versions. Each token is tagged with the version
// whose logits produced it; a sample keeps the version of its first token and one
// VersionSpan per version it saw.
//
// Not thread-safe: one thread drives a Scheduler (see engine.h for the threaded wrapper).
// The backend is borrowed and must outlive the scheduler.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"
#include "rollout/backend.h"
#include "rollout/repetition.h"
#include "rollout/request.h"
#include "rollout/sampling.h"

namespace rl::rollout {

using Clock = std::chrono::steady_clock;

struct SchedulerOptions {
  int max_batch = 16;  // live sequences at most
  int64_t max_state_bytes = int64_t{1} << 30;
  RepetitionConfig repetition;
  std::vector<int32_t> eos_tokens;  // in addition to the model's eos_token_id
};

struct SchedulerStats {
  int64_t tokens_generated = 0;
  int64_t samples_finished = 0;
  int64_t finished_eos = 0, finished_length = 0, finished_repetition = 0, finished_aborted = 0;
  int64_t trips_high_probability = 0, trips_ngram = 0;
  int64_t decode_steps = 0;
  int64_t weight_updates = 0;
  int64_t state_bytes_in_use = 0;
  int live_sequences = 0;
  int queued_requests = 0;
  int64_t policy_version = -1;  // 0 for a model loaded at start, -1 until weights arrive
};

class Scheduler {
 public:
  Scheduler(Backend* backend, SchedulerOptions options);
  ~Scheduler();

  // Checks the request (id, prompt, budget, sampling) and queues it. InvalidArgument names
  // the field; AlreadyExists when the id is queued or live.
  Status Enqueue(GenerationRequest request, Clock::time_point received = Clock::now());

  // Finishes a queued or live request with kAborted (its tokens so far are returned through
  // the next Step's output). Returns false when the id is unknown.
  bool Abort(std::string_view request_id, std::string_view error,
             std::vector<GenerationResult>* finished);
  void AbortAll(std::string_view error, std::vector<GenerationResult>* finished);

  // Makes update the live weights. Live sequences continue with the new version (they are
  // aborted only when the architecture changes). Call only between Step() calls.
  Status ApplyWeights(WeightUpdate& update, std::vector<GenerationResult>* finished);

  // One iteration: admit what fits, run one batched decode step, append finished samples.
  // A backend error aborts the live sequences it concerns and is returned.
  Status Step(std::vector<GenerationResult>* finished);

  bool HasWork() const;  // something live, or queued and admissible
  const SchedulerStats& stats() const { return stats_; }
  int64_t version() const { return stats_.policy_version; }

 private:
  struct Sequence;

  Status Admit(std::vector<GenerationResult>* finished);
  // Samples from logits (V) and records; returns true when the sequence is over.
  bool SampleAndRecord(Sequence& seq, std::span<const float> logits,
                       std::vector<GenerationResult>* out);
  // Records a chosen token; returns true when the sequence is over (result moved out).
  bool Record(Sequence& seq, int32_t token, float logprob, std::vector<GenerationResult>* out);
  void Finish(Sequence& seq, FinishReason reason, std::vector<GenerationResult>* out);
  void Compact();  // drops finished sequences from live_

  Backend* backend_;
  SchedulerOptions options_;
  SchedulerStats stats_;
  std::deque<std::unique_ptr<Sequence>> queue_;
  std::vector<std::unique_ptr<Sequence>> live_;
  std::vector<int> free_slots_;
  Sampler sampler_;            // workspace sized to V once
  std::vector<float> logits_;  // (max_batch, V)
  std::vector<int> step_slots_;
  std::vector<int32_t> step_tokens_;
};

}  // namespace rl::rollout
