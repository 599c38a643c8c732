#include "rollout/engine.h"

#include <future>
#include <string>
#include <utility>

#include "rl/core/logging.h"
#include "rl/core/thread_pool.h"

namespace rl::rollout {
namespace {

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

RolloutEngine::RolloutEngine(std::unique_ptr<Backend> backend, SchedulerOptions options)
    : backend_(std::move(backend)),
      scheduler_(backend_.get(), options),
      state_bytes_limit_(options.max_state_bytes) {
  stats_ = scheduler_.stats();
  num_parameters_ = backend_->has_model() ? backend_->num_parameters() : 0;
  thread_ = std::thread([this] { Loop(); });
}

RolloutEngine::~RolloutEngine() { Stop("engine destroyed"); }

uint64_t RolloutEngine::Submit(GenerationRequest request, SampleCallback on_done) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t handle = next_handle_++;
  if (stopping_) {
    lock.unlock();
    GenerationResult r;
    r.request_id = request.request_id;
    r.group_index = request.group_index;
    r.prompt_tokens = static_cast<int32_t>(request.prompt.size());
    r.finish_reason = FinishReason::kAborted;
    r.error = "worker is shutting down";
    on_done(std::move(r));
    return handle;
  }
  callbacks_[handle] = {request.request_id, std::move(on_done)};
  request.request_id = std::to_string(handle);
  inbox_.push_back({handle, std::move(request), Clock::now()});
  cv_.notify_one();
  return handle;
}

void RolloutEngine::Cancel(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  cancels_.push_back(handle);
  cv_.notify_one();
}

void RolloutEngine::UpdateWeights(WeightUpdate update, WeightsCallback on_applied) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    lock.unlock();
    WeightApplyResult r;
    r.status = absl::UnavailableError("worker is shutting down");
    r.version = update.version;
    on_applied(r);
    return;
  }
  weights_.push_back({std::move(update), std::move(on_applied), Clock::now()});
  cv_.notify_one();
}

WeightApplyResult RolloutEngine::UpdateWeightsAndWait(WeightUpdate update) {
  std::promise<WeightApplyResult> done;
  std::future<WeightApplyResult> f = done.get_future();
  UpdateWeights(std::move(update), [&done](const WeightApplyResult& r) { done.set_value(r); });
  return f.get();
}

void RolloutEngine::Stop(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_reason_ = reason;
    }
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

SchedulerStats RolloutEngine::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

int64_t RolloutEngine::num_parameters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return num_parameters_;
}

void RolloutEngine::Deliver(std::vector<GenerationResult>& finished) {
  for (GenerationResult& r : finished) {
    const uint64_t handle = std::stoull(r.request_id);
    std::pair<std::string, SampleCallback> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = callbacks_.find(handle);
      RL_CHECK(it != callbacks_.end()) << "no callback for handle " << handle;
      cb = std::move(it->second);
      callbacks_.erase(it);
    }
    r.request_id = std::move(cb.first);
    cb.second(std::move(r));
  }
  finished.clear();
}

void RolloutEngine::Loop() {
  EnableFlushToZero();
  std::vector<Pending> inbox;
  std::vector<uint64_t> cancels;
  std::vector<PendingWeights> weights;
  std::vector<GenerationResult> finished;
  for (;;) {
    bool stop = false;
    std::string reason;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || !inbox_.empty() || !cancels_.empty() || !weights_.empty() ||
               scheduler_.HasWork();
      });
      inbox.swap(inbox_);
      cancels.swap(cancels_);
      weights.swap(weights_);
      stop = stopping_;
      reason = stop_reason_;
    }
    // Between two decode steps: weights first, so requests posted after an update see it.
    for (PendingWeights& w : weights) {
      WeightApplyResult r;
      r.version = w.update.version;
      const Clock::time_point start = Clock::now();
      r.wait_ms = Ms(w.posted, start);
      r.status = scheduler_.ApplyWeights(w.update, &finished);
      r.apply_ms = Ms(start, Clock::now());
      {
        std::lock_guard<std::mutex> lock(mu_);
        num_parameters_ = backend_->num_parameters();
        stats_ = scheduler_.stats();  // visible to the caller once on_applied runs
      }
      w.done(r);
    }
    weights.clear();
    for (Pending& p : inbox) {
      const std::string id = p.request.request_id;
      const int64_t group = p.request.group_index;
      const auto prompt_tokens = static_cast<int32_t>(p.request.prompt.size());
      Status st = scheduler_.Enqueue(std::move(p.request), p.received);
      if (!st.ok()) {
        GenerationResult r;
        r.request_id = id;
        r.group_index = group;
        r.prompt_tokens = prompt_tokens;
        r.finish_reason = FinishReason::kAborted;
        r.error = std::string(st.message());
        finished.push_back(std::move(r));
      }
    }
    inbox.clear();
    for (uint64_t h : cancels)
      scheduler_.Abort(std::to_string(h), "cancelled by the client", &finished);
    cancels.clear();
    if (stop) {
      scheduler_.AbortAll(reason, &finished);
    } else {
      Status st = scheduler_.Step(&finished);
      if (!st.ok()) RL_LOG(Error) << "rollout engine: " << st.message();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_ = scheduler_.stats();
      if (stop) stopped_ = true;
    }
    Deliver(finished);
    if (stop) break;
  }
}

}  // namespace rl::rollout
