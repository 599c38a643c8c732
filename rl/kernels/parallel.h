// A fixed team of compute threads for fork-join loops that never allocate (the decode loop
// runs through it): Run(n, fn) calls fn(i) for every i in [0, n) on the team and the calling
// thread and returns when all are done. Team threads set flush-to-zero/denormals-are-zero.
// Thread-safety: Run may be called from any thread; concurrent Runs are serialised (one loop
// at a time). fn must not call Run on the same team (it would deadlock).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace rl::kernels {

class ParallelTeam {
 public:
  // num_threads counts the calling thread: 1 runs everything inline.
  explicit ParallelTeam(int num_threads);
  ~ParallelTeam();
  ParallelTeam(const ParallelTeam&) = delete;
  ParallelTeam& operator=(const ParallelTeam&) = delete;

  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Inside fn: 1..size()−1 on this team's threads, 0 on any other thread (the one that
  // called Run; Runs are serialised, so it is unique). Lets fn pick a per-thread slice of a
  // scratch buffer.
  int ThreadIndex() const;

  template <typename F>
  void Run(int64_t n, F&& fn) {
    auto call = [](void* ctx, int64_t i) { (*static_cast<std::remove_reference_t<F>*>(ctx))(i); };
    RunImpl(n, call, const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using Call = void (*)(void*, int64_t);
  void RunImpl(int64_t n, Call call, void* ctx);
  void Drain();
  void WorkerLoop();

  std::mutex run_mu_;  // one loop at a time
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  int pending_ = 0;  // team threads still working on the current loop
  bool stopping_ = false;
  std::atomic<int64_t> next_{0};
  int64_t n_ = 0;
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace rl::kernels
