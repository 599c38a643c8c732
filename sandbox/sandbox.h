// Isolated execution of untrusted programs with the kernel's own primitives.
//
// RunJob() runs one command in a fresh sandbox and returns when every process of the job is
// dead: new user, PID, mount, network, IPC, UTS and cgroup namespaces; a read-only view of
// /usr (and the /bin, /lib*, /sbin links), a minimal synthesized /etc, a private tmpfs work
// directory /work and private /tmp and /dev/shm with size limits; /dev holding only null,
// zero, random and urandom; no network (a fresh network namespace whose loopback stays down);
// rlimits; cgroup v1/v2 memory and pids limits where the machine allows; a seccomp deny-list;
// no_new_privs, no capabilities, a new session, fds 0/1/2 only and an environment built from
// an allow-list. Each concurrent job runs as its own unprivileged host uid. When the job's
// main process exits (or the wall deadline passes) the namespace's init dies and the kernel
// kills every process left in it; its tmpfs mounts vanish with it.
//
// Threads: RunJob is thread-safe and may run concurrently from many threads (SandboxPool
// does that). Errors: invalid specs come back as InvalidArgument; a machine that cannot
// build the sandbox as FailedPrecondition (see ProbeSupport). Everything that happens to the
// job itself — including a setup failure inside the sandbox — is a JobResult with an Outcome.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rl::sandbox {

struct Limits {
  double cpu_s = 10;          // CPU seconds per process (RLIMIT_CPU, rounded up to a second)
  double wall_s = 20;         // wall-clock deadline of the whole job
  int64_t memory_mb = 512;    // cgroup memory limit; RLIMIT_AS when no memory cgroup exists
  int64_t procs = 64;         // processes + threads (RLIMIT_NPROC and pids.max)
  int64_t file_size_mb = 64;  // largest file the job may write (RLIMIT_FSIZE)
  int64_t open_files = 64;    // RLIMIT_NOFILE
  int64_t output_kb = 1024;   // cap of each of stdout and stderr; beyond it: OLE, job killed
  int64_t disk_mb = 128;      // size of each tmpfs (/work, /tmp, /dev/shm)
};

enum class Outcome {
  kOk,
  kRuntimeError,
  kTimeout,
  kMemoryLimit,
  kOutputLimit,
  kSignal,
  kInternalError
};

// "OK", "RE", "TO", "MLE", "OLE", "SG", "XX".
const char* OutcomeName(Outcome outcome);

struct JobSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is searched in the sandbox's PATH
  std::string stdin_data;         // written to the job's stdin, which is then closed
  // Relative path → content, written into /work before the job starts. Content starting with
  // "#!" or the ELF magic is made executable (0755), everything else is 0644.
  std::map<std::string, std::string> files;
  std::string work_dir_source;  // optional host directory copied into /work (modes kept)
  Limits limits;
  std::map<std::string, std::string> extra_env;  // added to the allow-listed environment
  // Relative paths under /work read back after the job (all its processes dead) into
  // JobResult::output_files; each is capped at limits.output_kb. Missing files are absent.
  std::vector<std::string> collect_files;
};

struct JobResult {
  Outcome status = Outcome::kInternalError;
  int exit_code = -1;  // exit code of the main process when it exited normally
  int signal = 0;      // signal that killed the main process, 0 if none
  double cpu_s = 0, wall_s = 0;  // cpu_s: all processes of the job together
  // Peak memory of the job's cgroup (its pages, tmpfs and page cache it caused). Without a
  // memory cgroup: the largest ru_maxrss, which includes the harness's image at clone time.
  int64_t max_rss_kb = 0;
  std::string stdout_data, stderr_data;  // raw bytes (may hold NUL, invalid UTF-8)
  bool truncated = false;                // stdout or stderr hit limits.output_kb
  std::string message;                   // why, for anything but OK
  std::map<std::string, std::string> output_files;
};

// Runs spec in a fresh sandbox. Blocks until the job and all its processes are gone.
absl::StatusOr<JobResult> RunJob(const JobSpec& spec);

// Ok when this kernel lets us build the sandbox (user, PID, mount, net, IPC, UTS namespaces,
// tmpfs and proc mounts inside them); FailedPrecondition naming what is refused otherwise.
// The answer is computed once and cached.
absl::Status ProbeSupport();

// What the limits are enforced with on this machine, e.g. "cgroup v1 memory+pids" or
// "rlimits only (no writable cgroup)". For logs and docs.
std::string EnforcementSummary();

// Replaces every invalid UTF-8 sequence (and NUL) by U+FFFD so bytes can go into JSON.
std::string SanitizeUtf8(std::string_view bytes);

// Runs up to k jobs at once, each in its own fresh sandbox. Thread-safe. The destructor waits
// for submitted jobs to finish.
class SandboxPool {
 public:
  explicit SandboxPool(int k);
  ~SandboxPool();
  SandboxPool(const SandboxPool&) = delete;
  SandboxPool& operator=(const SandboxPool&) = delete;

  std::future<absl::StatusOr<JobResult>> Submit(JobSpec spec);
  int size() const { return k_; }

 private:
  struct Impl;
  int k_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl::sandbox
