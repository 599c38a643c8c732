// The data a generation request and its finished sample carry through the rollout engine
// (mirrors proto/rollout.proto; the worker converts at its edge). Plain values; no invariants
// beyond those Scheduler::Enqueue checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rollout/repetition.h"
#include "rollout/sampling.h"

namespace rl::rollout {

struct GenerationRequest {
  std::string request_id;
  int64_t group_index = 0;
  std::vector<int32_t> prompt;  // at least one token
  int64_t max_new_tokens = 1;   // budget, >= 1
  SamplerOptions sampling;      // rollout/sampling.h
  uint64_t seed = 0;            // the sequence's RNG stream (SequenceRng(seed, 0)): one per request
  std::vector<int32_t> stop_tokens;  // in addition to the engine's eos ids
  int64_t min_policy_version = 0;    // not admitted before this version is live
};

enum class FinishReason { kEos = 1, kLength = 2, kRepetition = 3, kAborted = 4 };
std::string_view FinishReasonName(FinishReason reason);  // "eos", "length", "repetition", "aborted"

struct VersionSpan {
  int64_t version = 0;
  int32_t first_token = 0;  // index into GenerationResult::tokens
};

struct Timings {
  double queue_ms = 0, prefill_ms = 0, decode_ms = 0, total_ms = 0;
};

struct GenerationResult {
  std::string request_id;
  int64_t group_index = 0;
  std::vector<int32_t> tokens;  // generated tokens; an eos/stop token is included
  std::vector<float> logprobs;  // log softmax(z/T)[token], full vocabulary, per token
  FinishReason finish_reason = FinishReason::kAborted;
  BreakerTrip breaker = BreakerTrip::kNone;
  int64_t policy_version = -1;        // version of the first generated token (-1: none)
  std::vector<VersionSpan> versions;  // one span per version that generated tokens
  Timings timings;
  int32_t prompt_tokens = 0;
  std::string error;  // set when the engine aborted the request itself
};

}  // namespace rl::rollout
