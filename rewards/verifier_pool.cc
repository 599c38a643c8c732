#include "rewards/verifier_pool.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace rl::rewards {

VerifyResult FallbackResult(float fallback_reward, const std::string& error) {
  VerifyResult r;
  r.reward = fallback_reward;
  r.correct = std::nullopt;
  r.alert = true;
  r.details["error"] = error;
  return r;
}

namespace {

// One call's rendezvous between the worker and the waiting caller.
struct Call {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool started = false;
  Clock::time_point deadline;  // set when a worker picks the call up
  StatusOr<VerifyResult> result = absl::UnknownError("not run");
};

}  // namespace

// Shared with the worker threads, so a worker stuck in a verifier past the pool's lifetime
// still has valid state; such workers are detached at destruction.
struct VerifierPool::Impl {
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool stopping = false;
    int busy = 0;
    std::condition_variable idle_cv;
  };
  std::shared_ptr<Queue> queue = std::make_shared<Queue>();
  std::vector<std::thread> threads;
  std::map<std::string, std::shared_ptr<Verifier>> by_kind;
};

StatusOr<std::unique_ptr<VerifierPool>> VerifierPool::Create(const VerifierRegistry& registry,
                                                             PoolOptions options) {
  auto impl = std::make_unique<Impl>();
  for (const auto& [kind, name] : options.kind_to_verifier) {
    auto v = registry.Get(name);
    if (!v.ok()) {
      return absl::NotFoundError("rewards.verifiers." + kind + ": " +
                                 std::string(v.status().message()));
    }
    impl->by_kind[kind] = *v;
  }
  int n = std::max(1, options.concurrency);
  for (int i = 0; i < n; ++i) {
    impl->threads.emplace_back([q = impl->queue] {
      while (true) {
        std::function<void()> job;
        {
          std::unique_lock<std::mutex> lock(q->mu);
          q->cv.wait(lock, [&] { return q->stopping || !q->jobs.empty(); });
          if (q->jobs.empty()) return;
          job = std::move(q->jobs.front());
          q->jobs.pop_front();
          ++q->busy;
        }
        job();
        {
          std::lock_guard<std::mutex> lock(q->mu);
          --q->busy;
        }
        q->idle_cv.notify_all();
      }
    });
  }
  return std::unique_ptr<VerifierPool>(new VerifierPool(std::move(impl), std::move(options)));
}

VerifierPool::VerifierPool(std::unique_ptr<Impl> impl, PoolOptions options)
    : impl_(std::move(impl)), options_(std::move(options)) {}

VerifierPool::~VerifierPool() {
  auto q = impl_->queue;
  bool idle;
  {
    std::unique_lock<std::mutex> lock(q->mu);
    q->stopping = true;
    q->jobs.clear();
    q->cv.notify_all();
    // Give in-flight calls one timeout to finish; a verifier still running after that is
    // abandoned (its thread detached) rather than hanging the run's shutdown.
    idle = q->idle_cv.wait_for(lock, std::chrono::duration<double>(options_.timeout_s + 1.0),
                               [&] { return q->busy == 0; });
  }
  for (auto& t : impl_->threads) {
    if (idle) {
      t.join();
    } else {
      t.detach();
    }
  }
}

std::vector<VerifyResult> VerifierPool::VerifyBatch(std::span<const VerifyInput> inputs) {
  // The timeout runs from when a worker starts the call; a call still queued when every
  // earlier call could have used its full timeout is abandoned too (all workers stuck).
  auto timeout = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.timeout_s));
  int waves = static_cast<int>(inputs.size()) / std::max(1, options_.concurrency) + 2;
  auto queue_bound = Clock::now() + timeout * waves;
  std::vector<VerifyResult> out(inputs.size());
  std::vector<std::shared_ptr<Call>> calls(inputs.size());
  // Inputs are copied into the job (with the task) so an abandoned call never reads freed
  // memory of the caller.
  for (size_t i = 0; i < inputs.size(); ++i) {
    const VerifyInput& in = inputs[i];
    auto it = impl_->by_kind.find(in.task->kind);
    if (it == impl_->by_kind.end()) {
      out[i] = FallbackResult(options_.fallback_reward,
                              "no verifier for task kind '" + in.task->kind +
                                  "' (set rewards.verifiers." + in.task->kind + ")");
      continue;
    }
    auto call = std::make_shared<Call>();
    calls[i] = call;
    auto task = std::make_shared<tasks::Task>(*in.task);
    auto response = std::make_shared<std::string>(in.response);
    VerifyInput copy = in;
    std::shared_ptr<Verifier> verifier = it->second;
    auto job = [call, task, response, copy, verifier, timeout]() mutable {
      copy.task = task.get();
      copy.response = *response;
      {
        std::lock_guard<std::mutex> lock(call->mu);
        call->started = true;
        call->deadline = Clock::now() + timeout;
        copy.deadline = call->deadline;
      }
      call->cv.notify_all();
      StatusOr<VerifyResult> r = absl::InternalError("verifier threw");
      try {
        r = verifier->Verify(copy);
      } catch (const std::exception& e) {
        r = absl::InternalError(std::string("verifier threw: ") + e.what());
      }
      std::lock_guard<std::mutex> lock(call->mu);
      call->result = std::move(r);
      call->done = true;
      call->cv.notify_all();
    };
    {
      std::lock_guard<std::mutex> lock(impl_->queue->mu);
      impl_->queue->jobs.push_back(std::move(job));
    }
    impl_->queue->cv.notify_one();
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!calls[i]) continue;
    Call& c = *calls[i];
    std::unique_lock<std::mutex> lock(c.mu);
    if (!c.cv.wait_until(lock, queue_bound, [&] { return c.done || c.started; })) {
      out[i] = FallbackResult(options_.fallback_reward, "verifier call never started (pool busy)");
      continue;
    }
    if (!c.cv.wait_until(lock, c.deadline, [&] { return c.done; })) {
      out[i] =
          FallbackResult(options_.fallback_reward,
                         "verifier timed out after " + std::to_string(options_.timeout_s) + " s");
      continue;
    }
    if (!c.result.ok()) {
      out[i] = FallbackResult(options_.fallback_reward, std::string(c.result.status().message()));
    } else {
      out[i] = std::move(*c.result);
    }
  }
  return out;
}

VerifyResult VerifierPool::Verify(const tasks::Task& task, std::string_view response,
                                  int64_t response_tokens, int64_t budget_tokens) {
  VerifyInput in;
  in.task = &task;
  in.response = response;
  in.response_tokens = response_tokens;
  in.budget_tokens = budget_tokens;
  return VerifyBatch(std::span<const VerifyInput>(&in, 1))[0];
}

}  // namespace rl::rewards
