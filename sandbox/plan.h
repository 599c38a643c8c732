// Internal: turns a JobSpec into a ChildPlan — the mount plan of the sandbox's filesystem,
// argv/envp, rlimits and the files to write — with every string owned by a PlanStorage that
// outlives the clone. Pure data preparation: no system call changes anything here (it reads
// the host's /usr layout, /etc/ld.so.cache and work_dir_source).
//
// Filesystem inside the sandbox:
//   /usr, and /bin /sbin /lib* as on the host (links recreated, directories bound), read-only
//   /etc       synthesized: passwd, group, hosts, hostname + the host's ld.so.cache/.conf and
//              alternatives, localtime — never shadow, ssl keys or anything else
//   /work      tmpfs, limits.disk_mb, owned by the job; spec.files and work_dir_source land here
//   /tmp, /dev/shm  tmpfs, limits.disk_mb each, world-writable sticky
//   /dev       null zero random urandom (+ fd, stdin, stdout, stderr links)
//   /proc      the sandbox's own PID namespace
// The root itself is a small read-only tmpfs.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child.h"
#include "sandbox/sandbox.h"

namespace rl::sandbox::internal {

struct PlanStorage {
  std::deque<std::string> strings;  // stable addresses for every char* in the plan
  std::vector<FsOp> ops;
  std::vector<char*> argv, envp;
  std::vector<const char*> path_dirs, collect;
  std::vector<RlimitSetting> rlimits;
  ChildPlan plan{};

  const char* Keep(std::string s) {
    strings.push_back(std::move(s));
    return strings.back().c_str();
  }
};

struct Identity {
  bool host_root;  // the harness runs as root: two mapped ids per slot, groups dropped
  int job_id;      // uid/gid of the job inside the namespace (1000, or 0 when not root)
};

// The environment every job gets before spec.extra_env: PATH, HOME, LANG, TMPDIR.
std::vector<std::string> BaseEnvironment();

// Checks relative paths (files, collect_files): non-empty, not absolute, no "..", no NUL.
absl::Status CheckRelativePath(const std::string& path, const char* field);

// Validates spec and builds the plan (fds in ChildPlan are left for the caller to fill).
// use_rlimit_as: also cap the address space (when no memory cgroup enforces memory).
absl::Status BuildPlan(const JobSpec& spec, const Identity& id, bool use_rlimit_as,
                       const sock_fprog* seccomp, PlanStorage* out);

}  // namespace rl::sandbox::internal
