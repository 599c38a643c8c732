// Local rollout workers: `rl rollout-worker --listen 127.0.0.1:0` child processes of the
// running binary (/proc/self/exe), each in its own process group (a Ctrl-C on the terminal
// reaches only the driver, which then checkpoints and stops them) and with PR_SET_PDEATHSIG
// so they die with the driver. Spawn() waits for each worker's "listening on ADDR" line.
// Not thread-safe; the destructor sends SIGTERM to every child and reaps it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "rl/core/status.h"

namespace rl::driver {

struct WorkerFlags {
  int64_t threads = 1;
  int64_t repetition_consecutive = 3000;
  double repetition_prob = 0.99;
  int64_t ngram = 0;
  int64_t ngram_repeats = 0;
};

class LocalWorkers {
 public:
  LocalWorkers() = default;
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  // Starts n workers; errors when a worker exits or does not print its address in time.
  Status Spawn(int n, const WorkerFlags& flags);
  // Restarts every worker whose process has exited (on a new port). Returns how many.
  StatusOr<int> RestartDead();
  // Kills worker i (SIGKILL — also ends a stopped process), reaps it and starts a
  // replacement on a new port (it starts without a model and waits for weights).
  Status Restart(size_t i);
  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::vector<pid_t>& pids() const { return pids_; }
  void StopAll();

 private:
  StatusOr<std::pair<pid_t, std::string>> StartOne();
  WorkerFlags flags_;
  std::vector<pid_t> pids_;
  std::vector<std::string> addresses_;
};

}  // namespace rl::driver
