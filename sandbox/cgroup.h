// Per-job control groups: memory and process-count limits enforced by the kernel for every
// process of a job, an OOM-kill counter to tell MLE apart, and a CPU quota of one core per
// job so a job cannot starve its peers.
//
// Detection (once, cached): cgroup v2 when the unified hierarchy is mounted at /sys/fs/cgroup
// and our own cgroup delegates memory+pids to children; otherwise cgroup v1 when writable
// memory and pids hierarchies exist (the cpu hierarchy is used when present). Job groups are
// created as children of the harness's own groups ("rl-sb-<pid>-<n>") and removed by the
// destructor. Without any, Create() returns nullptr and the sandbox falls back to rlimits.
//
// Thread-safe: every JobCgroup is independent; Create may be called from many threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rl::sandbox::internal {

class JobCgroup {
 public:
  // nullptr (ok) when this machine has no usable cgroup; an error when one exists but
  // creating the group or writing a limit fails.
  static absl::StatusOr<std::unique_ptr<JobCgroup>> Create(int64_t memory_bytes, int64_t pids);
  ~JobCgroup();  // kills anything left in the group, then removes it
  JobCgroup(const JobCgroup&) = delete;
  JobCgroup& operator=(const JobCgroup&) = delete;

  absl::Status AddProcess(pid_t pid);
  int64_t OomKills() const;  // processes the OOM killer killed in this group
  int64_t PeakMemoryBytes() const;

 private:
  JobCgroup() = default;
  int version_ = 0;
  std::string memory_dir_, pids_dir_, cpu_dir_;  // the same directory under v2
};

// "cgroup v2 memory+pids+cpu", "cgroup v1 memory+pids+cpu" or "none".
std::string CgroupSummary();

}  // namespace rl::sandbox::internal
