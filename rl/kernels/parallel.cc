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

bool ParallelTeam::Claim(uint64_t gen, int64_t* index, Call* call, void** ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  if (gen != generation_ || next_ >= n_) return false;
  *index = next_++;
  *call = call_;
  *ctx = ctx_;
  return true;
}

void ParallelTeam::Drain(uint64_t gen) {
  int64_t i;
  Call call;
  void* ctx;
  while (Claim(gen, &i, &call, &ctx)) {
    call(ctx, i);
    std::lock_guard<std::mutex> lock(mu_);
    if (++completed_ == n_) done_cv_.notify_all();
  }
}

void ParallelTeam::RunImpl(int64_t n, Call call, void* ctx) {
  if (n <= 0) return;
  if (threads_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) call(ctx, i);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mu_);
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gen = ++generation_;
    n_ = n;
    next_ = 0;
    completed_ = 0;
    call_ = call;
    ctx_ = ctx;
  }
  start_cv_.notify_all();
  Drain(gen);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return completed_ == n_; });
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
    Drain(seen);
  }
}

}  // namespace rl::kernels
