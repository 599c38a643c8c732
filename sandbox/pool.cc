// SandboxPool: k worker threads, each running one job at a time in its own fresh sandbox.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "sandbox/sandbox.h"

namespace rl::sandbox {

struct SandboxPool::Impl {
  struct Task {
    JobSpec spec;
    std::promise<absl::StatusOr<JobResult>> done;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Task> queue;
  bool stopping = false;
  std::vector<std::thread> workers;

  void Work() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        task = std::move(queue.front());
        queue.pop_front();
      }
      task.done.set_value(RunJob(task.spec));
    }
  }
};

SandboxPool::SandboxPool(int k) : k_(k < 1 ? 1 : k), impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < k_; ++i) impl_->workers.emplace_back([this] { impl_->Work(); });
}

SandboxPool::~SandboxPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

std::future<absl::StatusOr<JobResult>> SandboxPool::Submit(JobSpec spec) {
  Impl::Task task{std::move(spec), {}};
  auto future = task.done.get_future();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.push_back(std::move(task));
  }
  impl_->cv.notify_one();
  return future;
}

}  // namespace rl::sandbox
