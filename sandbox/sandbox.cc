// RunJob: the harness side of one sandboxed job (see sandbox.h): prepares the plan, clones
// the sandbox's init into fresh namespaces, maps its ids, drains its pipes against the
// deadline and the output caps, and classifies what happened.
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "sandbox/cgroup.h"
#include "sandbox/child.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp_filter.h"

namespace rl::sandbox {
namespace {

using internal::ChildPlan;
using Clock = std::chrono::steady_clock;

constexpr int kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
                                CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
constexpr int kSlotUidBase = 1000000;  // host uids of slot s: base + 2s (init), base + 2s + 1
constexpr int kMaxSlots = 4096;
constexpr size_t kStackBytes = 1 << 20;
constexpr double kKillGraceS = 5;
// The job's total CPU (all processes) is checked this often against limits.cpu_s + slack;
// single processes meet RLIMIT_CPU first when cpu_s is a whole number.
constexpr int kCpuPollMs = 50;
constexpr double kCpuSlackS = 0.2;

Clock::duration Secs(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    Reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Process-wide slot numbers: concurrent jobs never share a host uid.
class SlotLease {
 public:
  SlotLease() {
    std::lock_guard<std::mutex> lock(Mu());
    auto& used = Used();
    auto it = std::find(used.begin(), used.end(), false);
    if (it == used.end()) return;
    *it = true;
    slot_ = static_cast<int>(it - used.begin());
  }
  ~SlotLease() {
    if (slot_ < 0) return;
    std::lock_guard<std::mutex> lock(Mu());
    Used()[static_cast<size_t>(slot_)] = false;
  }
  int slot() const { return slot_; }

 private:
  static std::mutex& Mu() {
    static std::mutex mu;
    return mu;
  }
  static std::vector<bool>& Used() {
    static std::vector<bool> used(kMaxSlots, false);
    return used;
  }
  int slot_ = -1;
};

bool WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = absl::StrCat("/proc/", pid, "/", name);
  Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  return write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

absl::Status WriteIdMaps(pid_t pid, bool host_root, int slot) {
  std::string uid_map, gid_map;
  if (host_root) {
    int init = kSlotUidBase + 2 * slot, job = init + 1;
    uid_map = gid_map = absl::StrCat("0 ", init, " 1\n1000 ", job, " 1\n");
  } else {
    // An unprivileged harness may map only itself; the job then shares init's id.
    if (!WriteProcFile(pid, "setgroups", "deny")) {
      return absl::FailedPreconditionError("writing setgroups of the sandbox");
    }
    uid_map = absl::StrCat("0 ", geteuid(), " 1\n");
    gid_map = absl::StrCat("0 ", getegid(), " 1\n");
  }
  if (!WriteProcFile(pid, "uid_map", uid_map) || !WriteProcFile(pid, "gid_map", gid_map)) {
    return absl::FailedPreconditionError(
        absl::StrCat("writing the sandbox's uid/gid map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

// Blocks SIGPIPE in this thread while the job runs (writing to a job that closed its stdin
// must not kill the harness) and discards one raised meanwhile.
class ScopedNoSigpipe {
 public:
  ScopedNoSigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~ScopedNoSigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

// What the harness saw while the job ran.
struct Observed {
  std::string out, err, control;
  bool truncated = false, timed_out = false, cpu_exceeded = false;
  int wait_status = 0;
  rusage usage{};
};

// Drains stdout/stderr/control, feeds stdin, enforces the deadline and the output caps.
// cgroup (may be null) supplies the job's total CPU time, checked every kCpuPollMs.
void Supervise(pid_t init, const JobSpec& spec, const internal::JobCgroup* cgroup, Fd& in_w,
               Fd& out_r, Fd& err_r, Fd& ctl_r, Clock::time_point start, Observed* seen) {
  const bool watch_cpu = cgroup != nullptr && cgroup->CpuSeconds() >= 0;
  const size_t cap = static_cast<size_t>(spec.limits.output_kb) << 10;
  const size_t control_cap = 64 + spec.collect_files.size() * (cap + 4096);
  const Clock::time_point deadline = start + Secs(spec.limits.wall_s);
  bool killed = false;
  Clock::time_point grace_end{};
  auto kill_all = [&] {
    if (killed) return;
    kill(init, SIGKILL);  // PID 1 of the namespace: the kernel kills everything in it
    killed = true;
    grace_end = Clock::now() + Secs(kKillGraceS);
  };
  size_t stdin_off = 0;
  if (spec.stdin_data.empty()) in_w.Reset();
  if (in_w.get() >= 0) fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  char buf[1 << 16];
  while (out_r.get() >= 0 || err_r.get() >= 0 || ctl_r.get() >= 0) {
    auto now = Clock::now();
    if (!killed && now >= deadline) {
      seen->timed_out = true;
      kill_all();
    }
    if (!killed && watch_cpu && cgroup->CpuSeconds() > spec.limits.cpu_s + kCpuSlackS) {
      seen->cpu_exceeded = true;
      kill_all();
    }
    if (killed && now >= grace_end) break;
    auto until = killed ? grace_end : deadline;
    int timeout_ms =
        static_cast<int>(std::ceil(std::chrono::duration<double, std::milli>(until - now).count()));
    if (watch_cpu && !killed) timeout_ms = std::min(timeout_ms, kCpuPollMs);
    pollfd pfds[4];
    Fd* owners[4];
    int n = 0;
    for (Fd* f : {&out_r, &err_r, &ctl_r}) {
      if (f->get() < 0) continue;
      pfds[n] = {f->get(), POLLIN, 0};
      owners[n++] = f;
    }
    if (in_w.get() >= 0) {
      pfds[n] = {in_w.get(), POLLOUT, 0};
      owners[n++] = &in_w;
    }
    int r = poll(pfds, static_cast<nfds_t>(n), std::max(timeout_ms, 0));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < n && r > 0; ++i) {
      if (pfds[i].revents == 0) continue;
      Fd* f = owners[i];
      if (f == &in_w) {
        size_t left = spec.stdin_data.size() - stdin_off;
        ssize_t w = write(f->get(), spec.stdin_data.data() + stdin_off,
                          std::min<size_t>(left, sizeof(buf)));
        if (w > 0) stdin_off += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN) || stdin_off == spec.stdin_data.size()) f->Reset();
        continue;
      }
      ssize_t got = read(f->get(), buf, sizeof(buf));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        f->Reset();
        continue;
      }
      std::string& sink = f == &out_r ? seen->out : f == &err_r ? seen->err : seen->control;
      size_t limit = f == &ctl_r ? control_cap : cap;
      size_t room = limit > sink.size() ? limit - sink.size() : 0;
      sink.append(buf, std::min(room, static_cast<size_t>(got)));
      if (static_cast<size_t>(got) > room && f != &ctl_r) {
        seen->truncated = true;
        kill_all();
      }
    }
  }
  in_w.Reset();
  pid_t w;
  do {
    w = wait4(init, &seen->wait_status, 0, &seen->usage);
  } while (w < 0 && errno == EINTR);
}

struct ControlRecords {
  std::string error;
  bool has_status = false;
  int main_status = 0;
  std::map<int, std::string> files;
};

ControlRecords ParseControl(const std::string& data) {
  ControlRecords c;
  size_t pos = 0;
  while (pos + 5 <= data.size()) {
    char tag = data[pos];
    uint32_t len;
    memcpy(&len, data.data() + pos + 1, 4);
    if (pos + 5 + len > data.size()) break;  // a record cut by the control cap
    const char* payload = data.data() + pos + 5;
    if (tag == 'E') {
      if (!c.error.empty()) c.error += "; ";
      c.error.append(payload, len);
    } else if (tag == 'S' && len >= sizeof(internal::StatusRecord)) {
      internal::StatusRecord rec;
      memcpy(&rec, payload, sizeof(rec));
      c.has_status = true;
      c.main_status = rec.wait_status;
    } else if (tag == 'F' && len >= 4) {
      int32_t index;
      memcpy(&index, payload, 4);
      c.files[index].append(payload + 4, len - 4);
    }
    pos += 5 + len;
  }
  return c;
}

// Without a memory cgroup, a job that hit RLIMIT_AS fails an allocation; these are the
// messages the common runtimes print for it.
bool LooksLikeAllocationFailure(const std::string& err) {
  for (const char* m : {"MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory",
                        "Out of memory"}) {
    if (err.find(m) != std::string::npos) return true;
  }
  return false;
}

void Classify(const JobSpec& spec, const Observed& seen, const ControlRecords& ctl,
              int64_t oom_kills, bool memory_by_cgroup, JobResult* r) {
  auto set = [&](Outcome o, std::string message) {
    r->status = o;
    r->message = std::move(message);
  };
  if (ctl.has_status) {
    if (WIFEXITED(ctl.main_status)) r->exit_code = WEXITSTATUS(ctl.main_status);
    if (WIFSIGNALED(ctl.main_status)) r->signal = WTERMSIG(ctl.main_status);
  }
  const Limits& l = spec.limits;
  if (!ctl.error.empty()) return set(Outcome::kInternalError, ctl.error);
  if (seen.timed_out) {
    return set(Outcome::kTimeout, absl::StrCat("wall-clock limit of ", l.wall_s, " s"));
  }
  if (seen.cpu_exceeded) {
    return set(Outcome::kTimeout,
               absl::StrCat("CPU limit of ", l.cpu_s, " s (all processes together)"));
  }
  if (seen.truncated) {
    return set(Outcome::kOutputLimit, absl::StrCat("output over ", l.output_kb, " KiB"));
  }
  if (!ctl.has_status) {
    if (oom_kills > 0) return set(Outcome::kMemoryLimit, "killed by the OOM killer");
    return set(
        Outcome::kInternalError,
        absl::StrCat("sandbox init ended without a report (wait status ", seen.wait_status, ")"));
  }
  const int sig = r->signal;
  if (sig == SIGXCPU || (sig == SIGKILL && r->cpu_s >= std::ceil(l.cpu_s))) {
    return set(Outcome::kTimeout, absl::StrCat("CPU limit of ", l.cpu_s, " s"));
  }
  if (r->exit_code == 0) return set(Outcome::kOk, "");
  if (oom_kills > 0) {
    return set(Outcome::kMemoryLimit, absl::StrCat("memory limit of ", l.memory_mb, " MiB"));
  }
  if (sig == SIGXFSZ) {
    return set(Outcome::kOutputLimit, absl::StrCat("file size limit of ", l.file_size_mb, " MiB"));
  }
  if (!memory_by_cgroup && LooksLikeAllocationFailure(r->stderr_data)) {
    return set(Outcome::kMemoryLimit, absl::StrCat("memory limit of ", l.memory_mb, " MiB"));
  }
  if (sig != 0) {
    return set(Outcome::kSignal, absl::StrCat("killed by signal ", sig, " (",
                                              sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", ")"));
  }
  return set(Outcome::kRuntimeError, absl::StrCat("exit code ", r->exit_code));
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "OK";
    case Outcome::kRuntimeError:
      return "RE";
    case Outcome::kTimeout:
      return "TO";
    case Outcome::kMemoryLimit:
      return "MLE";
    case Outcome::kOutputLimit:
      return "OLE";
    case Outcome::kSignal:
      return "SG";
    case Outcome::kInternalError:
      return "XX";
  }
  return "XX";
}

absl::StatusOr<JobResult> RunJob(const JobSpec& spec) {
  const bool host_root = geteuid() == 0;
  SlotLease slot;
  if (slot.slot() < 0) return absl::ResourceExhaustedError("all sandbox slots are in use");
  auto seccomp = internal::JobSeccompProgram();
  if (!seccomp.ok()) return seccomp.status();

  auto cgroup =
      internal::JobCgroup::Create(spec.limits.memory_mb << 20, spec.limits.procs + 1 /* init */);
  if (!cgroup.ok()) return cgroup.status();
  const bool memory_by_cgroup = *cgroup != nullptr;

  internal::PlanStorage storage;
  internal::Identity id{host_root, host_root ? 1000 : 0};
  if (auto st = internal::BuildPlan(spec, id, !memory_by_cgroup, *seccomp, &storage); !st.ok()) {
    return st;
  }
  auto sync = MakePipe(), ctl = MakePipe(), in = MakePipe(), out = MakePipe(), err = MakePipe();
  for (auto* p : {&sync, &ctl, &in, &out, &err}) {
    if (!p->ok()) return p->status();
  }
  ChildPlan& plan = storage.plan;
  plan.sync_fd = sync->read.get();
  plan.control_fd = ctl->write.get();
  plan.stdin_fd = in->read.get();
  plan.stdout_fd = out->write.get();
  plan.stderr_fd = err->write.get();

  ScopedNoSigpipe no_sigpipe;
  auto stack = std::make_unique_for_overwrite<char[]>(kStackBytes);  // init's stack
  const auto start = Clock::now();
  pid_t init =
      clone(internal::InitMain, stack.get() + kStackBytes, kNamespaceFlags | SIGCHLD, &plan);
  if (init < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("clone with new user/pid/mount/net/ipc/uts namespaces: ", strerror(errno)));
  }
  for (Fd* f : {&sync->read, &ctl->write, &in->read, &out->write, &err->write}) f->Reset();

  absl::Status setup = WriteIdMaps(init, host_root, slot.slot());
  if (setup.ok() && *cgroup) setup = (*cgroup)->AddProcess(init);
  if (setup.ok() && write(sync->write.get(), "g", 1) != 1) {
    setup = absl::InternalError("releasing the sandbox init");
  }
  sync->write.Reset();
  if (!setup.ok()) {
    kill(init, SIGKILL);
    waitpid(init, nullptr, 0);
    return setup;
  }

  Observed seen;
  Supervise(init, spec, cgroup->get(), in->write, out->read, err->read, ctl->read, start, &seen);
  JobResult r;
  r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu_s = Seconds(seen.usage.ru_utime) + Seconds(seen.usage.ru_stime);
  // ru_maxrss would count the harness's own image, which init and the job inherit before
  // execve (the kernel keeps an exec'ing process's old high-water mark); the cgroup's peak
  // charges only the job's own pages.
  r.max_rss_kb = *cgroup ? (*cgroup)->PeakMemoryBytes() / 1024 : seen.usage.ru_maxrss;
  r.stdout_data = std::move(seen.out);
  r.stderr_data = std::move(seen.err);
  r.truncated = seen.truncated;
  ControlRecords records = ParseControl(seen.control);
  int64_t oom_kills = *cgroup ? (*cgroup)->OomKills() : 0;
  Classify(spec, seen, records, oom_kills, memory_by_cgroup, &r);
  for (auto& [index, content] : records.files) {
    if (index >= 0 && static_cast<size_t>(index) < spec.collect_files.size()) {
      r.output_files[spec.collect_files[static_cast<size_t>(index)]] = std::move(content);
    }
  }
  return r;
}

absl::Status ProbeSupport() {
  static const absl::Status status = [] {
    JobSpec spec;
    spec.argv = {"/bin/sh", "-c", "exit 0"};
    spec.limits.wall_s = 10;
    auto r = RunJob(spec);
    if (!r.ok()) return absl::FailedPreconditionError(r.status().message());
    if (r->status != Outcome::kOk) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the sandbox cannot run /bin/sh: ", OutcomeName(r->status), " ", r->message));
    }
    return absl::OkStatus();
  }();
  return status;
}

std::string EnforcementSummary() {
  std::string cg = internal::CgroupSummary();
  return cg == "none" ? "rlimits only (no writable cgroup; RLIMIT_AS for memory)"
                      : absl::StrCat(cg, " + rlimits");
}

}  // namespace rl::sandbox
