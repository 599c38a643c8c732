#include "rollout/scheduler.h"

#include <algorithm>
#include <string>
#include <utility>

#include "rl/core/logging.h"

namespace rl::rollout {
namespace {

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos:
      return "eos";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kRepetition:
      return "repetition";
    case FinishReason::kAborted:
      return "aborted";
  }
  return "unknown";
}

struct Scheduler::Sequence {
  Sequence(GenerationRequest r, const RepetitionConfig& rep, Clock::time_point t)
      : req(std::move(r)), rng(req.seed, 0), breaker(rep), received(t) {}
  GenerationRequest req;
  GenerationResult result;
  SequenceRng rng;
  RepetitionBreaker breaker;
  int slot = -1;
  int64_t budget = 0;  // effective max new tokens (clipped by max_position)
  int64_t bytes = 0;
  int32_t next_input = 0;
  bool done = false;
  bool admitted = false;
  Clock::time_point received, admitted_at, prefilled_at;
};

Scheduler::Scheduler(Backend* backend, SchedulerOptions options)
    : backend_(backend), options_(std::move(options)) {
  RL_CHECK(backend_ != nullptr);
  RL_CHECK(options_.max_batch >= 1) << "max_batch " << options_.max_batch;
  Status st = options_.repetition.Validate();
  RL_CHECK(st.ok()) << st.message();
  stats_.policy_version = backend_->has_model() ? 0 : -1;  // a loaded checkpoint is version 0
  for (int s = options_.max_batch - 1; s >= 0; --s) free_slots_.push_back(s);
  step_slots_.reserve(options_.max_batch);
  step_tokens_.reserve(options_.max_batch);
  live_.reserve(options_.max_batch);
}

Scheduler::~Scheduler() = default;

Status Scheduler::Enqueue(GenerationRequest request, Clock::time_point received) {
  const std::string where = "request '" + request.request_id + "': ";
  if (request.request_id.empty()) return absl::InvalidArgumentError("request_id: empty");
  if (request.prompt.empty()) return absl::InvalidArgumentError(where + "prompt_tokens: empty");
  if (request.max_new_tokens < 1) {
    return absl::InvalidArgumentError(where + "max_new_tokens: must be >= 1, got " +
                                      std::to_string(request.max_new_tokens));
  }
  for (int32_t t : request.prompt) {
    if (t < 0) return absl::InvalidArgumentError(where + "prompt_tokens: negative token id");
  }
  Status st = ValidateSamplerOptions(request.sampling);
  if (!st.ok()) return Status(st.code(), where + std::string(st.message()));
  for (const auto& q : queue_) {
    if (q->req.request_id == request.request_id) {
      return absl::AlreadyExistsError(where + "already queued");
    }
  }
  for (const auto& l : live_) {
    if (l->req.request_id == request.request_id) {
      return absl::AlreadyExistsError(where + "already generating");
    }
  }
  auto seq = std::make_unique<Sequence>(std::move(request), options_.repetition, received);
  seq->result.request_id = seq->req.request_id;
  seq->result.group_index = seq->req.group_index;
  seq->result.prompt_tokens = static_cast<int32_t>(seq->req.prompt.size());
  queue_.push_back(std::move(seq));
  ++stats_.queued_requests;
  return absl::OkStatus();
}

void Scheduler::Finish(Sequence& seq, FinishReason reason, std::vector<GenerationResult>* out) {
  const Clock::time_point now = Clock::now();
  seq.done = true;
  seq.result.finish_reason = reason;
  if (seq.admitted) {
    seq.result.timings.queue_ms = Ms(seq.received, seq.admitted_at);
    seq.result.timings.decode_ms = Ms(seq.prefilled_at, now);
  } else {
    seq.result.timings.queue_ms = Ms(seq.received, now);
  }
  seq.result.timings.total_ms = Ms(seq.received, now);
  if (seq.slot >= 0) {
    backend_->Release(seq.slot);
    free_slots_.push_back(seq.slot);
    seq.slot = -1;
    stats_.state_bytes_in_use -= seq.bytes;
    seq.bytes = 0;
  }
  ++stats_.samples_finished;
  switch (reason) {
    case FinishReason::kEos:
      ++stats_.finished_eos;
      break;
    case FinishReason::kLength:
      ++stats_.finished_length;
      break;
    case FinishReason::kRepetition:
      ++stats_.finished_repetition;
      break;
    case FinishReason::kAborted:
      ++stats_.finished_aborted;
      break;
  }
  out->push_back(std::move(seq.result));
}

bool Scheduler::Record(Sequence& seq, int32_t token, float logprob,
                       std::vector<GenerationResult>* out) {
  GenerationResult& r = seq.result;
  const int64_t v = stats_.policy_version;
  if (r.versions.empty() || r.versions.back().version != v) {
    r.versions.push_back({v, static_cast<int32_t>(r.tokens.size())});
  }
  if (r.tokens.empty()) r.policy_version = v;
  r.tokens.push_back(token);
  r.logprobs.push_back(logprob);
  ++stats_.tokens_generated;
  seq.next_input = token;

  const bool eos = token == backend_->eos_token_id() ||
                   std::find(options_.eos_tokens.begin(), options_.eos_tokens.end(), token) !=
                       options_.eos_tokens.end() ||
                   std::find(seq.req.stop_tokens.begin(), seq.req.stop_tokens.end(), token) !=
                       seq.req.stop_tokens.end();
  const BreakerTrip trip = seq.breaker.Observe(token, logprob);
  if (eos) {
    Finish(seq, FinishReason::kEos, out);
  } else if (trip != BreakerTrip::kNone) {
    r.breaker = trip;
    if (trip == BreakerTrip::kHighProbability) ++stats_.trips_high_probability;
    if (trip == BreakerTrip::kNgram) ++stats_.trips_ngram;
    Finish(seq, FinishReason::kRepetition, out);
  } else if (static_cast<int64_t>(r.tokens.size()) >= seq.budget) {
    Finish(seq, FinishReason::kLength, out);
  }
  return seq.done;
}

bool Scheduler::SampleAndRecord(Sequence& seq, std::span<const float> logits,
                                std::vector<GenerationResult>* out) {
  StatusOr<Sampled> s = sampler_.Sample(logits, seq.req.sampling, seq.rng);
  if (!s.ok()) {
    seq.result.error = "sampling failed: " + std::string(s.status().message());
    Finish(seq, FinishReason::kAborted, out);
    return true;
  }
  return Record(seq, s->token, s->logprob, out);
}

Status Scheduler::Admit(std::vector<GenerationResult>* finished) {
  if (!backend_->has_model()) return absl::OkStatus();
  const int64_t V = backend_->vocab_size();
  if (static_cast<int64_t>(logits_.size()) != options_.max_batch * V) {
    logits_.assign(static_cast<size_t>(options_.max_batch * V), 0.0f);  // only on a new model
    sampler_.Reserve(V);
  }
  const int64_t max_pos = backend_->max_position();
  for (auto it = queue_.begin();
       it != queue_.end() && static_cast<int>(live_.size()) < options_.max_batch;) {
    Sequence& seq = **it;
    if (seq.req.min_policy_version > 0 && seq.req.min_policy_version > stats_.policy_version) {
      ++it;
      continue;
    }
    const int64_t prompt = static_cast<int64_t>(seq.req.prompt.size());
    std::string error;
    for (int32_t t : seq.req.prompt) {
      if (t >= V)
        error = "prompt token " + std::to_string(t) + " >= vocab_size " + std::to_string(V);
    }
    if (error.empty() && prompt >= max_pos) {
      error = "prompt of " + std::to_string(prompt) + " tokens leaves no room under max_position " +
              std::to_string(max_pos);
    }
    const int64_t capacity = std::min(prompt + seq.req.max_new_tokens, max_pos);
    const int64_t bytes = backend_->StateBytes(capacity);
    if (error.empty() && bytes > options_.max_state_bytes) {
      error = "needs " + std::to_string(bytes) + " state bytes, more than the worker's limit " +
              std::to_string(options_.max_state_bytes);
    }
    if (!error.empty()) {
      seq.result.error = "request '" + seq.req.request_id + "': " + error;
      --stats_.queued_requests;
      Finish(seq, FinishReason::kAborted, finished);
      it = queue_.erase(it);
      continue;
    }
    if (stats_.state_bytes_in_use + bytes > options_.max_state_bytes) break;  // FIFO: wait

    std::unique_ptr<Sequence> owned = std::move(*it);
    it = queue_.erase(it);
    --stats_.queued_requests;
    owned->admitted = true;
    owned->admitted_at = Clock::now();
    owned->budget = capacity - prompt;
    owned->slot = free_slots_.back();
    free_slots_.pop_back();
    owned->bytes = bytes;
    owned->result.tokens.reserve(static_cast<size_t>(owned->budget));
    owned->result.logprobs.reserve(static_cast<size_t>(owned->budget));
    stats_.state_bytes_in_use += bytes;
    std::span<float> row(logits_.data(), static_cast<size_t>(V));
    Status st = backend_->Start(owned->slot, capacity, owned->req.prompt, row);
    owned->prefilled_at = Clock::now();
    owned->result.timings.prefill_ms = Ms(owned->admitted_at, owned->prefilled_at);
    if (!st.ok()) {
      owned->result.error = "prefill failed: " + std::string(st.message());
      Finish(*owned, FinishReason::kAborted, finished);
      continue;
    }
    if (!SampleAndRecord(*owned, row, finished)) live_.push_back(std::move(owned));
  }
  stats_.live_sequences = static_cast<int>(live_.size());
  return absl::OkStatus();
}

Status Scheduler::Step(std::vector<GenerationResult>* finished) {
  RL_RETURN_IF_ERROR(Admit(finished));
  if (live_.empty()) return absl::OkStatus();
  const int64_t V = backend_->vocab_size();
  step_slots_.clear();
  step_tokens_.clear();
  for (const auto& s : live_) {
    step_slots_.push_back(s->slot);
    step_tokens_.push_back(s->next_input);
  }
  const size_t B = live_.size();
  Status st = backend_->Step(step_slots_, step_tokens_,
                             std::span<float>(logits_.data(), B * static_cast<size_t>(V)));
  ++stats_.decode_steps;
  if (!st.ok()) {
    AbortAll("decode step failed: " + std::string(st.message()), finished);
    return st;
  }
  for (size_t b = 0; b < B; ++b) {
    SampleAndRecord(
        *live_[b],
        std::span<const float>(logits_.data() + b * static_cast<size_t>(V), static_cast<size_t>(V)),
        finished);
  }
  Compact();
  return absl::OkStatus();
}

void Scheduler::Compact() {
  live_.erase(std::remove_if(live_.begin(), live_.end(), [](const auto& s) { return s->done; }),
              live_.end());
  stats_.live_sequences = static_cast<int>(live_.size());
}

bool Scheduler::Abort(std::string_view request_id, std::string_view error,
                      std::vector<GenerationResult>* finished) {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if ((*it)->req.request_id == request_id) {
      (*it)->result.error = std::string(error);
      --stats_.queued_requests;
      Finish(**it, FinishReason::kAborted, finished);
      queue_.erase(it);
      return true;
    }
  }
  for (auto& s : live_) {
    if (s->req.request_id == request_id && !s->done) {
      s->result.error = std::string(error);
      Finish(*s, FinishReason::kAborted, finished);
      Compact();
      return true;
    }
  }
  return false;
}

void Scheduler::AbortAll(std::string_view error, std::vector<GenerationResult>* finished) {
  for (auto& q : queue_) {
    q->result.error = std::string(error);
    Finish(*q, FinishReason::kAborted, finished);
  }
  queue_.clear();
  stats_.queued_requests = 0;
  for (auto& s : live_) {
    if (s->done) continue;
    s->result.error = std::string(error);
    Finish(*s, FinishReason::kAborted, finished);
  }
  Compact();
}

Status Scheduler::ApplyWeights(WeightUpdate& update, std::vector<GenerationResult>* finished) {
  if (backend_->NeedsRestart(update) && !live_.empty()) {
    const std::string why = "architecture changed at version " + std::to_string(update.version);
    for (auto& s : live_) {
      if (s->done) continue;
      s->result.error = why;
      Finish(*s, FinishReason::kAborted, finished);
    }
    Compact();
  }
  RL_RETURN_IF_ERROR(backend_->Apply(update));
  stats_.policy_version = update.version;
  ++stats_.weight_updates;
  return absl::OkStatus();
}

bool Scheduler::HasWork() const {
  if (!live_.empty()) return true;
  if (!backend_->has_model()) return false;
  for (const auto& q : queue_) {
    if (q->req.min_policy_version <= 0 || q->req.min_policy_version <= stats_.policy_version) {
      return true;
    }
  }
  return false;
}

}  // namespace rl::rollout
