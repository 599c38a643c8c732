// Internal: the code that runs inside the sandbox, before the job's execve.
//
// The harness prepares a ChildPlan (every path, string, argv/envp array, rlimit and the
// seccomp program) in its own memory and clone()s InitMain with new namespaces. Because the
// harness is multithreaded, the child only makes system calls on that prepared data: it never
// allocates, locks or formats. InitMain becomes PID 1 of the new PID namespace: it waits for
// the harness to write its uid/gid maps, runs the mount plan, forks the job (RunJobProcess),
// reaps every process, kills the rest when the main one exits, reports a status record and
// the collected files over the control pipe, and exits — which kills whatever is left.
//
// Control pipe records: 1 tag byte, a 4-byte little-endian payload length, the payload.
//   'E' text          — a setup or exec failure (from init or the job process)
//   'S' StatusRecord  — the main process's wait status
//   'F' int32 index + bytes — a chunk of collected file `index`
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace rl::sandbox::internal {

enum class OpKind { kMount, kMkdir, kSymlink, kWriteFile, kReadOnly, kPivotRoot };

// One step of the filesystem plan. Paths are absolute. Interpretation by kind:
//   kMount: mount(src, dst, fstype, flags, data)   kMkdir: mkdir(dst, mode)
//   kSymlink: symlink(src → at dst)                kWriteFile: write data/size to dst (mode)
//   kReadOnly: make the mount at dst read-only, nosuid, nodev (flags: 0 or AT_RECURSIVE)
//   kPivotRoot: pivot_root into dst and detach the old root
// owner_uid/owner_gid >= 0: chown the created object (kMkdir, kWriteFile).
struct FsOp {
  OpKind kind;
  const char* src = nullptr;
  const char* dst = nullptr;
  const char* fstype = nullptr;
  unsigned long flags = 0;
  const char* data = nullptr;
  size_t size = 0;
  unsigned mode = 0;
  int owner_uid = -1, owner_gid = -1;
  bool optional = false;  // failure is ignored (e.g. a host path that may not exist)
};

struct RlimitSetting {
  int resource;
  rlim_t value;  // soft; hard = value (RLIMIT_CPU: hard = value + 1 so SIGXCPU comes first)
};

// Resource usage is not in the record: the harness's wait4() on init covers init and every
// process init reaped, which is all of them.
struct StatusRecord {
  int32_t wait_status;
};

struct ChildPlan {
  // Harness-side descriptor numbers of the child's ends; InitMain renumbers them.
  int sync_fd, control_fd, stdin_fd, stdout_fd, stderr_fd;
  bool drop_groups;      // setgroups(0, NULL): only possible when the harness is root
  int job_uid, job_gid;  // ids inside the namespace the job runs as
  const FsOp* ops;       // the mount plan, run in order
  size_t n_ops;
  const char* hostname;
  const char* work_dir;  // "/work": the job's cwd and the root of collected files
  char* const* argv;
  char* const* envp;
  const char* const* path_dirs;  // where argv[0] is searched when it has no '/'
  size_t n_path_dirs;
  const RlimitSetting* rlimits;
  size_t n_rlimits;
  const sock_fprog* seccomp;
  const char* const* collect;  // relative paths read back after the job
  size_t n_collect;
  size_t collect_cap;  // bytes per collected file
};

// clone() entry point; arg is a ChildPlan*. Never returns normally to the harness.
int InitMain(void* arg);

}  // namespace rl::sandbox::internal
