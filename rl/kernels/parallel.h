// A fixed team of compute threads for fork-join loops that never allocate (the decode loop
// runs through it): Run(n, fn) calls fn(i) for every i in [0, n) on the team and the calling
// thread and returns when all are done. The caller waits only for items actually running
// elsewhere, never for a team thread to wake up (on a loaded machine a wake-up can take a
// whole scheduler slice). Team threads set flush-to-zero/denormals-are-zero.
// Thread-safety: Run may be called from any thread; concurrent Runs are serialised (one loop
// at a time). fn must not call Run on the same team (it would deadlock).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
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
  // Claims the next index of loop `gen` (false when that loop is over or fully claimed).
  bool Claim(uint64_t gen, int64_t* index, Call* call, void** ctx);
  void Drain(uint64_t gen);
  void WorkerLoop();

  std::mutex run_mu_;  // one loop at a time
  std::mutex mu_;      // guards everything below
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  int64_t n_ = 0, next_ = 0, completed_ = 0;
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace rl::kernels
