// The seccomp deny-list every sandboxed job runs under, compiled once to a BPF program.
//
// Default action: allow. Refused with EPERM: ptrace and cross-process memory access, mount
// and the new mount API, pivot_root/chroot, kexec, bpf, perf_event_open, the key-ring calls,
// unshare/setns and clone with any namespace flag (no nested namespaces), module loading,
// reboot, swap, clock setting, io_uring, userfaultfd, and ioctl TIOCSTI/TIOCLINUX. clone3 gets
// ENOSYS so libc falls back to clone, whose flags the filter can inspect. Foreign
// architectures (32-bit int 0x80, x32) kill the process.
//
// Thread-safe: the program is built on first use and immutable afterwards.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rl::sandbox::internal {

// The compiled filter; the returned program points into storage that lives forever.
absl::StatusOr<const sock_fprog*> JobSeccompProgram();

// Names of the system calls the filter refuses outright (for docs and tests).
const std::vector<std::string>& DeniedSyscalls();

}  // namespace rl::sandbox::internal
