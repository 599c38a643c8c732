// The sandbox's PID 1 and the job process (see child.h). Only system calls on prepared data:
// this runs in a clone() of a multithreaded harness, where malloc or any lock may be held by a
// thread that no longer exists in this copy of the address space.
#include "sandbox/child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace rl::sandbox::internal {
namespace {

// Descriptor numbers inside the sandbox after InitMain renumbers them.
constexpr int kSyncFd = 3, kControlFd = 4, kStdinFd = 5, kStdoutFd = 6, kStderrFd = 7;
constexpr int kExitSetupFailed = 125, kExitExecFailed = 127;
// Where Die() reports: kControlFd in init, 3 in the job process after it renumbers.
int g_report_fd = kControlFd;

bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Sends one record: tag, length, then up to two payload parts.
void SendRecord(int fd, char tag, const void* a, uint32_t na, const void* b = nullptr,
                uint32_t nb = 0) {
  char header[5];
  header[0] = tag;
  uint32_t len = na + nb;
  memcpy(header + 1, &len, 4);  // x86-64 and arm64 are little-endian, as the reader expects
  WriteAll(fd, header, 5);
  if (na > 0) WriteAll(fd, a, na);
  if (nb > 0) WriteAll(fd, b, nb);
}

// A fixed-size text builder on the stack (no allocation).
struct Text {
  char buf[512];
  size_t n = 0;
  Text& Add(const char* s) {
    while (s != nullptr && *s != '\0' && n + 1 < sizeof(buf)) buf[n++] = *s++;
    buf[n] = '\0';
    return *this;
  }
  Text& AddInt(long v) {
    char digits[24];
    int k = 0;
    bool neg = v < 0;
    unsigned long u = neg ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do {
      digits[k++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u > 0);
    if (neg) Add("-");
    while (k > 0 && n + 1 < sizeof(buf)) buf[n++] = digits[--k];
    buf[n] = '\0';
    return *this;
  }
};

[[noreturn]] void Die(const char* what, const char* arg, int err, int code = kExitSetupFailed) {
  Text t;
  t.Add(what);
  if (arg != nullptr) t.Add(" ").Add(arg);
  const char* desc = strerrordesc_np(err);  // a static table: no locale, no allocation
  t.Add(": ");
  if (desc != nullptr) {
    t.Add(desc);
  } else {
    t.Add("errno ").AddInt(err);
  }
  SendRecord(g_report_fd, 'E', t.buf, static_cast<uint32_t>(t.n));
  _exit(code);
}

void Check(bool ok, const char* what, const char* arg) {
  if (!ok) Die(what, arg, errno);
}

// Raw system calls, not glibc's wrappers: those broadcast the change to every thread of the
// process (setxid), and the threads glibc remembers do not exist in this copy — it would wait
// for them forever, or on a lock one of them held.
bool SetGroupsNone() { return syscall(SYS_setgroups, 0, nullptr) == 0; }
bool SetIds(int uid, int gid) {
  return syscall(SYS_setresgid, gid, gid, gid) == 0 && syscall(SYS_setresuid, uid, uid, uid) == 0;
}

// Makes the mount at path read-only/nosuid/nodev, keeping the flags the kernel locked on it.
bool MakeReadOnly(const char* path, unsigned long at_flags) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (syscall(SYS_mount_setattr, AT_FDCWD, path, at_flags, &attr, sizeof(attr)) == 0) {
    return true;
  }
  if (errno != ENOSYS) return false;
  return mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
               nullptr) == 0;
}

bool WriteFile(const FsOp& op) {
  int fd = open(op.dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, op.mode);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, op.data, op.size);
  if (ok && op.owner_uid >= 0) ok = fchown(fd, op.owner_uid, op.owner_gid) == 0;
  if (ok) ok = fchmod(fd, op.mode) == 0;  // the umask must not weaken the requested mode
  close(fd);
  return ok;
}

bool RunOp(const FsOp& op) {
  switch (op.kind) {
    case OpKind::kMount:
      return mount(op.src, op.dst, op.fstype, op.flags, op.data) == 0;
    case OpKind::kMkdir:
      if (mkdir(op.dst, op.mode) != 0 && errno != EEXIST) return false;
      if (op.owner_uid >= 0 && chown(op.dst, op.owner_uid, op.owner_gid) != 0) return false;
      return chmod(op.dst, op.mode) == 0;
    case OpKind::kSymlink:
      return symlink(op.src, op.dst) == 0;
    case OpKind::kWriteFile:
      return WriteFile(op);
    case OpKind::kReadOnly:
      return MakeReadOnly(op.dst, op.flags);
    case OpKind::kPivotRoot:
      if (chdir(op.dst) != 0) return false;
      if (syscall(SYS_pivot_root, ".", ".") != 0) return false;
      if (umount2(".", MNT_DETACH) != 0) return false;
      return chdir("/") == 0;
  }
  return false;
}

// Moves the five descriptors the child needs to 3..7 and closes everything else, including
// whatever other jobs' pipes the harness had open when it cloned us.
void RenumberFds(const ChildPlan& plan) {
  const int wanted[5] = {plan.sync_fd, plan.control_fd, plan.stdin_fd, plan.stdout_fd,
                         plan.stderr_fd};
  int high[5];
  for (int i = 0; i < 5; ++i) {
    high[i] = fcntl(wanted[i], F_DUPFD_CLOEXEC, 64);
    if (high[i] < 0) _exit(kExitSetupFailed);
  }
  for (int i = 0; i < 5; ++i) {
    if (dup3(high[i], 3 + i, O_CLOEXEC) < 0) _exit(kExitSetupFailed);
  }
  if (close_range(8, ~0U, 0) != 0) {
    for (int fd = 8; fd < 65536; ++fd) close(fd);
  }
  // Nor do the harness's own stdin/stdout/stderr stay open in here.
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) _exit(kExitSetupFailed);
  for (int fd = 0; fd < 3; ++fd) {
    if (fd != null_fd) dup3(null_fd, fd, 0);
  }
  if (null_fd > 2) close(null_fd);
}

// No capability can come back through execve: empty bounding and ambient sets.
void DropBoundingSet() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

void ClearCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  Check(syscall(SYS_capset, &header, data) == 0, "capset", nullptr);
}

[[noreturn]] void ExecJob(const ChildPlan& plan) {
  const char* file = plan.argv[0];
  if (strchr(file, '/') != nullptr) {
    execve(file, plan.argv, plan.envp);
    Die("exec", file, errno, kExitExecFailed);
  }
  int err = ENOENT;
  char path[4096];
  for (size_t i = 0; i < plan.n_path_dirs; ++i) {
    size_t nd = strlen(plan.path_dirs[i]), nf = strlen(file);
    if (nd + nf + 2 > sizeof(path)) continue;
    memcpy(path, plan.path_dirs[i], nd);
    path[nd] = '/';
    memcpy(path + nd + 1, file, nf + 1);
    execve(path, plan.argv, plan.envp);
    if (errno == EACCES) err = EACCES;
  }
  Die("exec", file, err, kExitExecFailed);
}

// The job's main process: new session, fds 0/1/2 only, limits, no privileges, seccomp, exec.
[[noreturn]] void RunJobProcess(const ChildPlan& plan) {
  // Ignored dispositions and the blocked mask survive execve: give the job clean ones.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setsid();
  Check(dup2(kStdinFd, 0) == 0 && dup2(kStdoutFd, 1) == 1 && dup2(kStderrFd, 2) == 2, "dup2",
        nullptr);
  // The control pipe stays open as fd 3 only until execve (close-on-exec) to report failures.
  if (dup3(kControlFd, 3, O_CLOEXEC) != 3) _exit(kExitSetupFailed);
  g_report_fd = 3;
  if (close_range(4, ~0U, 0) != 0) {
    for (int fd = 4; fd < 65536; ++fd) close(fd);
  }
  Check(chdir(plan.work_dir) == 0, "chdir", plan.work_dir);
  int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    WriteAll(oom, "1000", 4);  // the job, not init, is the OOM killer's first choice
    close(oom);
  }
  for (size_t i = 0; i < plan.n_rlimits; ++i) {
    const RlimitSetting& r = plan.rlimits[i];
    rlimit lim{r.value, r.resource == RLIMIT_CPU ? r.value + 1 : r.value};
    Check(setrlimit(r.resource, &lim) == 0, "setrlimit", nullptr);
  }
  DropBoundingSet();  // needs CAP_SETPCAP, which setresuid may take away
  Check(SetIds(plan.job_uid, plan.job_gid), "setresuid", nullptr);
  ClearCapabilities();
  Check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs", nullptr);
  Check(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, plan.seccomp) == 0, "seccomp", nullptr);
  ExecJob(plan);
}

// Reads each requested file under work_dir (never following a path out of it) and sends it.
void CollectFiles(const ChildPlan& plan) {
  int work = open(plan.work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (work < 0) return;
  static char buf[60000];  // static: this process is single-threaded and never allocates
  for (size_t i = 0; i < plan.n_collect; ++i) {
    open_how how{};
    how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    int fd = static_cast<int>(syscall(SYS_openat2, work, plan.collect[i], &how, sizeof(how)));
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      continue;
    }
    int32_t index = static_cast<int32_t>(i);
    size_t total = 0;
    bool sent = false;
    while (total < plan.collect_cap) {
      size_t want = plan.collect_cap - total < sizeof(buf) ? plan.collect_cap - total : sizeof(buf);
      ssize_t n = read(fd, buf, want);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      SendRecord(kControlFd, 'F', &index, 4, buf, static_cast<uint32_t>(n));
      sent = true;
      total += static_cast<size_t>(n);
    }
    if (!sent) SendRecord(kControlFd, 'F', &index, 4);
    close(fd);
  }
  close(work);
}

}  // namespace

int InitMain(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  RenumberFds(plan);
  char go = 0;
  if (read(kSyncFd, &go, 1) != 1) _exit(kExitSetupFailed);  // the harness gave up
  close(kSyncFd);
  if (plan.drop_groups) Check(SetGroupsNone(), "setgroups", nullptr);
  Check(SetIds(0, 0), "setresuid", "0");
  // Not dumpable: the job may not read this process's memory or /proc/1/environ, which still
  // hold the harness's copy.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (size_t i = 0; i < plan.n_ops; ++i) {
    const FsOp& op = plan.ops[i];
    if (!RunOp(op) && !op.optional) Die("sandbox setup:", op.dst, errno);
  }
  if (plan.hostname != nullptr) sethostname(plan.hostname, strlen(plan.hostname));

  pid_t job = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, nullptr, nullptr, 0));
  if (job < 0) Die("fork", nullptr, errno);
  if (job == 0) RunJobProcess(plan);
  close(kStdinFd);
  close(kStdoutFd);
  close(kStderrFd);

  StatusRecord record{};
  for (;;) {
    int st = 0;
    pid_t r = wait4(-1, &st, 0, nullptr);
    if (r == job) {
      record.wait_status = st;
      break;
    }
    if (r < 0 && errno != EINTR) Die("wait", nullptr, errno);
  }
  // The main process is gone: nothing else of the job may go on running or writing.
  for (;;) {
    kill(-1, SIGKILL);
    int st = 0;
    if (wait4(-1, &st, 0, nullptr) < 0 && errno == ECHILD) break;
  }
  SendRecord(kControlFd, 'S', &record, sizeof(record));
  CollectFiles(plan);
  _exit(0);
}

}  // namespace rl::sandbox::internal
