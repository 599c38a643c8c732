#include "rl/kernels/parallel.h"

#include "rl/core/thread_pool.h"

namespace rl::kernels {
namespace {
thread_local const ParallelTeam* t_team = nullptr;
thread_local int t_thread_index = 0;
}  // namespace

int ParallelTeam::ThreadIndex() const { return t_team == this ? t_thread_index : 0; }

ParallelTeam::ParallelTeam(int num_threads) {
  for (int i = 1; i < num_threads; ++i) {
    threads_.emplace_back([this, i] {
      t_team = this;
      t_thread_index = i;
      WorkerLoop();
    });
  }
}

ParallelTeam::~ParallelTeam() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ParallelTeam::Drain() {
  int64_t i;
  while ((i = next_.fetch_add(1)) < n_) call_(ctx_, i);
}

void ParallelTeam::RunImpl(int64_t n, Call call, void* ctx) {
  if (n <= 0) return;
  if (threads_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) call(ctx, i);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    n_ = n;
    call_ = call;
    ctx_ = ctx;
    next_.store(0);
    pending_ = static_cast<int>(threads_.size());
    ++generation_;
  }
  start_cv_.notify_all();
  Drain();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return pending_ == 0; });
}

void ParallelTeam::WorkerLoop() {
  EnableFlushToZero();
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    Drain();
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

}  // namespace rl::kernels
