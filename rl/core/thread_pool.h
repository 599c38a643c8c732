// A fixed-size pool of worker threads running void() tasks in FIFO order. Submit is
// thread-safe; the destructor finishes queued tasks, then joins. Compute threads set
// flush-to-zero / denormals-are-zero (RECIPE.md: decay powers underflow to denormals).
#pragma once

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace rl {

// Sets FTZ and DAZ in the calling thread's MXCSR (no-op off x86).
void EnableFlushToZero();

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

  // Runs fn(i) for i in [0, n) across the pool and the calling thread; returns when all are done.
  void ParallelFor(int n, const std::function<void(int)>& fn);

  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::queue<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace rl
