// Builds the deny-list with libseccomp and exports it once as raw BPF, so the sandbox child
// can install it with one prctl() without calling into libseccomp (which allocates).
#include "sandbox/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace rl::sandbox::internal {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

absl::StatusOr<std::vector<sock_filter>> Build() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return absl::InternalError("seccomp_init failed");
  auto add = [&](int nr, uint32_t action, unsigned n_args, const scmp_arg_cmp* args) {
    return seccomp_rule_add_array(ctx.get(), action, nr, n_args, args);
  };
  for (const std::string& name : DeniedSyscalls()) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (int rc = add(nr, SCMP_ACT_ERRNO(EPERM), 0, nullptr); rc != 0) {
      return absl::InternalError(absl::StrCat("seccomp rule for ", name, ": ", -rc));
    }
  }
  // clone with any namespace flag: one rule per bit (a rule's comparisons are ANDed).
  const uint64_t kNamespaceFlags[] = {CLONE_NEWNS,     CLONE_NEWUSER, CLONE_NEWPID,
                                      CLONE_NEWNET,    CLONE_NEWIPC,  CLONE_NEWUTS,
                                      CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */};
  for (uint64_t bit : kNamespaceFlags) {
    scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
    if (add(SCMP_SYS(clone), SCMP_ACT_ERRNO(EPERM), 1, &cmp) != 0) {
      return absl::InternalError("seccomp rule for clone");
    }
  }
  int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR && add(clone3, SCMP_ACT_ERRNO(ENOSYS), 0, nullptr) != 0) {
    return absl::InternalError("seccomp rule for clone3");
  }
  for (uint64_t request : {uint64_t{TIOCSTI}, uint64_t{TIOCLINUX}}) {
    scmp_arg_cmp cmp = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, request);
    if (add(SCMP_SYS(ioctl), SCMP_ACT_ERRNO(EPERM), 1, &cmp) != 0) {
      return absl::InternalError("seccomp rule for ioctl");
    }
  }
  if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
    return absl::InternalError("seccomp bad-arch action");
  }
  int fd = memfd_create("rl-seccomp", MFD_CLOEXEC);
  if (fd < 0) return absl::InternalError("memfd_create for the seccomp program");
  std::vector<sock_filter> program;
  if (int rc = seccomp_export_bpf(ctx.get(), fd); rc != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("seccomp_export_bpf: ", -rc));
  }
  off_t size = lseek(fd, 0, SEEK_END);
  program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t got = pread(fd, program.data(), program.size() * sizeof(sock_filter), 0);
  close(fd);
  if (size <= 0 || got != size) return absl::InternalError("reading the seccomp program back");
  return program;
}

}  // namespace

const std::vector<std::string>& DeniedSyscalls() {
  // clang-format off
  static const std::vector<std::string> kDenied = {
      "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
      "mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen",
      "fsconfig", "fsmount", "fspick", "pivot_root", "chroot", "unshare", "setns",
      "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "keyctl", "add_key",
      "request_key", "init_module", "finit_module", "delete_module", "create_module",
      "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "open_by_handle_at",
      "name_to_handle_at", "lookup_dcookie", "settimeofday", "clock_settime", "clock_adjtime",
      "adjtimex", "iopl", "ioperm", "syslog", "vhangup", "userfaultfd", "fanotify_init",
      "io_uring_setup", "io_uring_enter", "io_uring_register", "uselib", "nfsservctl",
      "sethostname", "setdomainname", "_sysctl"};
  // clang-format on
  return kDenied;
}

absl::StatusOr<const sock_fprog*> JobSeccompProgram() {
  static const absl::StatusOr<std::vector<sock_filter>> program = Build();
  static const sock_fprog fprog = [] {
    sock_fprog p{};
    if (program.ok()) {
      p.len = static_cast<unsigned short>(program->size());
      p.filter = const_cast<sock_filter*>(program->data());
    }
    return p;
  }();
  if (!program.ok()) return program.status();
  return &fprog;
}

}  // namespace rl::sandbox::internal
