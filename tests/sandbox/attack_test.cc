// The attack suite (see /docs/sandbox.md for the table): each test runs a real hostile
// program — shell, python3, or C compiled here — and asserts the named outcome and that the
// harness, the host and the next job are untouched.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "tests/sandbox/test_util.h"

namespace rl::sandbox {
namespace {

using testing_util::CompileC;
using testing_util::CountProcessesWithToken;
using testing_util::Describe;
using testing_util::MustRun;
using testing_util::Python;
using testing_util::Shell;
using testing_util::Token;

std::string ReadHost(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(Attack, ForkLoopHitsTheProcessCap) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python(
      "import os, time\n"
      "n = 0\n"
      "try:\n"
      "    while n < 10000:\n"
      "        if os.fork() == 0:\n"
      "            time.sleep(60); os._exit(0)\n"
      "        n += 1\n"
      "except OSError as e:\n"
      "    print(n, e.errno)\n");
  spec.limits.procs = 16;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  int forks = -1, err = -1;
  std::istringstream(r.stdout_data) >> forks >> err;
  EXPECT_GE(forks, 1);
  EXPECT_LT(forks, 16) << r.stdout_data;
  EXPECT_EQ(err, EAGAIN);
}

TEST(Attack, ShellForkBombIsContainedAndCleanedUp) {
  SKIP_WITHOUT_SANDBOX();
  const std::string token = Token("forkbomb");
  // The main process forks once to light the bomb (bash's classic `:(){ :|:& };:`), then
  // sleeps without forking again, so it never races the bomb for the last process slots.
  JobSpec spec = Python(
      "import os, time\n"
      "if os.fork() == 0:\n"
      "    os.execvp('bash', ['bash', '-c', 'bomb() { bomb | bomb & }; bomb', '" +
      token +
      "'])\n"
      "time.sleep(2)\n"
      "print('main done')\n");
  spec.limits.procs = 32;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "main done\n");
  EXPECT_NE(r.stderr_data.find("Resource temporarily unavailable"), std::string::npos)
      << "the bomb never reached the process cap";
  EXPECT_EQ(CountProcessesWithToken(token), 0);
}

TEST(Attack, MemoryBombIsMle) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python("a = bytearray(1 << 30)\nprint('allocated', len(a))\n");
  spec.limits.memory_mb = 64;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kMemoryLimit) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("allocated"), std::string::npos);
}

TEST(Attack, FillingDevShmIsBoundedBySize) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Shell(
      "head -c 100000000 /dev/zero > /dev/shm/fill; echo rc=$?; "
      "du -k /dev/shm/fill");
  spec.limits.disk_mb = 8;
  spec.limits.memory_mb = 256;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_NE(r.stdout_data.find("rc=1"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stderr_data.find("No space left on device"), std::string::npos) << r.stderr_data;
  int kb = 0;
  std::istringstream(r.stdout_data.substr(r.stdout_data.find('\n') + 1)) >> kb;
  EXPECT_LE(kb, 8 * 1024);
}

TEST(Attack, OneHugeFileHitsTheFileSizeLimit) {
  SKIP_WITHOUT_SANDBOX();
  // (python3 ignores SIGXFSZ and gets EFBIG instead: that is an RE of its own making.)
  JobSpec spec = Shell("exec head -c 100000000 /dev/zero > big");
  spec.limits.file_size_mb = 4;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOutputLimit) << Describe(r);
  EXPECT_EQ(r.signal, SIGXFSZ);
}

TEST(Attack, ManySmallFilesFillTheWorkDir) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python(
      "import os\n"
      "n = 0\n"
      "try:\n"
      "    while n < 10**6:\n"
      "        open('f%d' % n, 'wb').close(); n += 1\n"
      "except OSError as e:\n"
      "    print(n, e.errno); raise SystemExit(1)\n");
  spec.limits.wall_s = 20;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kRuntimeError) << Describe(r);
  int n = 0, err = 0;
  std::istringstream(r.stdout_data) >> n >> err;
  EXPECT_EQ(err, ENOSPC);
  EXPECT_LT(n, 20000);  // the inode cap of the work tmpfs
}

TEST(Attack, CpuLoopIsTimeout) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python("while True: pass\n");
  spec.limits.cpu_s = 1;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kTimeout) << Describe(r);
  EXPECT_EQ(r.signal, SIGXCPU);
  EXPECT_GT(r.cpu_s, 0.5);  // RLIMIT_CPU counts ticks; rusage is finer
}

TEST(Attack, SleepIsTimeoutAtTheWallLimit) {
  SKIP_WITHOUT_SANDBOX();
  const std::string token = Token("sleeper");
  JobSpec spec;
  spec.argv = {"sh", "-c", "sleep 3600", token};
  spec.limits.wall_s = 1;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kTimeout) << Describe(r);
  EXPECT_NE(r.message.find("wall-clock"), std::string::npos);
  EXPECT_EQ(CountProcessesWithToken(token), 0);
}

TEST(Attack, ChildrenThatOutliveTheParentAreKilled) {
  SKIP_WITHOUT_SANDBOX();
  const std::string token = Token("orphan");
  // Double fork + setsid, nohup, and a plain background job: all sleep far past the job.
  JobSpec spec;
  spec.argv = {"sh", "-c",
               "(setsid sh -c 'sleep 1000' $0 &); nohup sh -c 'sleep 1000' $0 >/dev/null 2>&1 &"
               " sh -c 'sleep 1000' $0 & echo started",
               token};
  spec.limits.wall_s = 20;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);  // not TO: nobody waited for the sleepers
  EXPECT_EQ(r.stdout_data, "started\n");
  EXPECT_EQ(CountProcessesWithToken(token), 0);
}

TEST(Attack, HostLoopbackServerIsUnreachable) {
  SKIP_WITHOUT_SANDBOX();
  int server = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(server, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  // Sanity: the listener is reachable from the host itself.
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(probe);
  int accepted = accept(server, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  close(accepted);

  JobSpec spec = Python(
      "import socket, sys\n"
      "for host in ('127.0.0.1', 'localhost', '::1'):\n"
      "    try:\n"
      "        socket.create_connection((host, " +
      std::to_string(port) +
      "), timeout=2)\n"
      "        print('connected', host)\n"
      "    except OSError as e:\n"
      "        print('refused', host, e.errno)\n"
      "try:\n"
      "    socket.getaddrinfo('example.com', 80); print('dns ok')\n"
      "except OSError as e:\n"
      "    print('dns failed')\n");
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("connected"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("refused 127.0.0.1"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("dns failed"), std::string::npos) << r.stdout_data;
  EXPECT_LT(accept(server, nullptr, nullptr), 0);  // nothing new arrived
  EXPECT_EQ(errno, EAGAIN);
  close(server);
}

TEST(Attack, HostFilesOutsideTheViewAreInvisible) {
  SKIP_WITHOUT_SANDBOX();
  setenv("RL_SANDBOX_TEST_SECRET", "hunter2-the-secret", 1);
  const std::string here = RL_SOURCE_DIR "/tests/sandbox/attack_test.cc";
  JobSpec spec =
      Shell("for f in /etc/shadow /root/.bashrc /proc/1/environ /proc/1/cmdline " + here +
            " /sys/kernel /home /var/log; do if cat $f >/dev/null 2>&1 || ls $f >/dev/null 2>&1; "
            "then echo READ $f; else echo no $f; fi; done; cat /proc/*/environ 2>/dev/null");
  JobResult r = MustRun(spec);
  unsetenv("RL_SANDBOX_TEST_SECRET");
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("READ"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("hunter2"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stderr_data.find("hunter2"), std::string::npos);
}

TEST(Attack, EnvironmentHasNoHostSecret) {
  SKIP_WITHOUT_SANDBOX();
  setenv("RL_SANDBOX_TEST_SECRET", "hunter2-the-secret", 1);
  JobResult r = MustRun(Python("import os; print(sorted(os.environ))"));
  unsetenv("RL_SANDBOX_TEST_SECRET");
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "['HOME', 'LANG', 'PATH', 'TMPDIR']\n");
}

TEST(Attack, WritingOutsideTheWorkDirFails) {
  SKIP_WITHOUT_SANDBOX();
  const std::string python_before = ReadHost("/usr/bin/python3").substr(0, 4096);
  const std::string passwd_before = ReadHost("/etc/passwd");
  JobSpec spec = Shell(
      "for f in /usr/bin/python3 /bin/sh /usr/lib/python3/dist-packages/sitecustomize.py "
      "/etc/passwd /newfile /proc/sys/kernel/hostname; do "
      "if echo pwned > $f 2>/dev/null; then echo WROTE $f; else echo no $f; fi; done; "
      "echo ok > /work/w && echo ok > /tmp/t && echo work-and-tmp-writable");
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data.find("WROTE"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("work-and-tmp-writable"), std::string::npos);
  EXPECT_EQ(ReadHost("/usr/bin/python3").substr(0, 4096), python_before);
  EXPECT_EQ(ReadHost("/etc/passwd"), passwd_before);
  EXPECT_FALSE(std::ifstream("/usr/lib/python3/dist-packages/sitecustomize.py.pwned").good());
}

TEST(Attack, KillEverythingLeavesTheHarnessAlive) {
  SKIP_WITHOUT_SANDBOX();
  JobResult r = MustRun(Python(
      "import os, signal, subprocess\n"
      "sibling = subprocess.Popen(['sleep', '100'])\n"
      "print('parent pid', os.getppid())\n"
      "try:\n"
      "    os.kill(os.getppid(), signal.SIGKILL); print('killed parent')\n"
      "except OSError as e:\n"
      "    print('denied', e.errno)\n"
      "os.kill(-1, signal.SIGKILL)\n"  // every process it may signal; Linux spares the caller
      "print('sibling', sibling.wait())\n"));
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  // As root the job's uid differs from init's: EPERM. An unprivileged harness maps one uid
  // for both, and the kernel silently drops signals to a namespace's init that it does not
  // handle — either way init lives, as "sibling -9" (printed after init's kill) shows.
  EXPECT_EQ(r.stdout_data, geteuid() == 0 ? "parent pid 1\ndenied 1\nsibling -9\n"
                                          : "parent pid 1\nkilled parent\nsibling -9\n");
  // And the harness is fine: the next job runs.
  EXPECT_EQ(MustRun(Shell("echo next")).stdout_data, "next\n");
}

TEST(Attack, PtraceAndPrivilegeCallsAreRefused) {
  SKIP_WITHOUT_SANDBOX();
  std::string dir = CompileC("ptrace", R"(
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void report(const char* what, long rc) { printf("%s %s\n", what, rc == -1 ? "refused" : "ALLOWED"); }
int main(void) {
  pid_t child = fork();
  if (child == 0) { pause(); _exit(0); }
  report("ptrace_attach", ptrace(PTRACE_ATTACH, child, 0, 0));
  report("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
  report("unshare_user", unshare(CLONE_NEWUSER));
  report("unshare_net", unshare(CLONE_NEWNET));
  report("mount", mount("tmpfs", "/tmp", "tmpfs", 0, 0));
  report("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  report("bpf", syscall(SYS_bpf, 0, 0, 0));
  report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
  char c = 'x';
  report("tiocsti", ioctl(0, TIOCSTI, &c));
  report("setuid0", syscall(SYS_setuid, 0) == 0 && getuid() == 0 ? 0 : -1);
  kill(child, SIGKILL);
  waitpid(child, 0, 0);
  return 0;
}
)");
  JobSpec spec;
  spec.argv = {"./prog"};
  spec.work_dir_source = dir;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  std::vector<std::string> calls = {"ptrace_attach", "ptrace_traceme",  "unshare_user",
                                    "unshare_net",   "mount",           "keyctl",
                                    "bpf",           "perf_event_open", "tiocsti"};
  // Unprivileged harness: the job is uid 0 of its namespace already (with no capabilities).
  if (geteuid() == 0) calls.push_back("setuid0");
  for (const std::string& call : calls) {
    EXPECT_NE(r.stdout_data.find(call + " refused"), std::string::npos) << call << "\n"
                                                                        << r.stdout_data;
  }
  JobResult status =
      MustRun(Shell("grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' "
                    "/proc/self/status"));
  EXPECT_EQ(status.stdout_data,
            "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n"
            "Seccomp:\t2\n");
}

TEST(Attack, ThirtyTwoBitSyscallsBypassNothing) {
  SKIP_WITHOUT_SANDBOX();
  // The i386 entry point has other syscall numbers (a classic filter bypass): the filter
  // checks the architecture and kills the process instead.
  std::string dir = CompileC("int80", R"(
#include <stdio.h>
int main(void) {
  long ret;
  printf("before\n");
  fflush(stdout);
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");  /* i386 getpid */
  printf("after %ld\n", ret);
  return 0;
}
)");
  JobSpec spec;
  spec.argv = {"./prog"};
  spec.work_dir_source = dir;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kSignal) << Describe(r);
  EXPECT_EQ(r.signal, SIGSYS);
  EXPECT_EQ(r.stdout_data, "before\n");
}

TEST(Attack, OutputFloodIsCappedAndTruncated) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python(
      "import sys\n"
      "chunk = b'\\x00\\xff\\xfe' + b'y' * 65533\n"
      "while True: sys.stdout.buffer.write(chunk)\n");
  spec.limits.output_kb = 256;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOutputLimit) << Describe(r);
  EXPECT_TRUE(r.truncated);
  ASSERT_EQ(r.stdout_data.size(), 256u * 1024);
  EXPECT_EQ(r.stdout_data.substr(0, 4), std::string("\x00\xff\xfey", 4));  // raw bytes kept
  std::string clean = SanitizeUtf8(r.stdout_data);
  EXPECT_EQ(clean.substr(0, 8), std::string("\x00\xEF\xBF\xBD\xEF\xBF\xBDy", 8));
}

TEST(Attack, StderrFloodIsCappedToo) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Shell("yes 'one giant line without end' | tr -d '\\n' >&2");
  spec.limits.output_kb = 64;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOutputLimit) << Describe(r);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.stderr_data.size(), 64u * 1024);
}

TEST(Attack, LargeCorrectOutputIsNotMisreported) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python("for i in range(60000): print(i * i)\n");
  spec.limits.output_kb = 1024;
  JobResult r = MustRun(spec);
  std::string expected;
  for (long i = 0; i < 60000; ++i) expected += std::to_string(i * i) + "\n";
  ASSERT_LT(expected.size(), 1024u * 1024);
  ASSERT_GT(expected.size(), 512u * 1024);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.stdout_data, expected);
}

TEST(Attack, OnlyStandardDescriptorsAreInherited) {
  SKIP_WITHOUT_SANDBOX();
  // Give the harness extra open descriptors that a leaky sandbox would pass on.
  int host_fd = open("/etc/hostname", O_RDONLY);  // deliberately not close-on-exec
  ASSERT_GE(host_fd, 0);
  std::string dir = CompileC("fds", R"(
#include <fcntl.h>
#include <stdio.h>
int main(void) {
  for (int fd = 0; fd < 1024; ++fd) if (fcntl(fd, F_GETFD) != -1) printf("%d ", fd);
  printf("\n");
  return 0;
}
)");
  JobSpec spec;
  spec.argv = {"./prog"};
  spec.work_dir_source = dir;
  JobResult r = MustRun(spec);
  close(host_fd);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "0 1 2 \n");
}

TEST(Attack, OnlyHarmlessDevicesExist) {
  SKIP_WITHOUT_SANDBOX();
  JobResult r = MustRun(
      Shell("for d in /dev/*; do [ -c $d ] && echo $d; done; "
            "head -c 16 /dev/urandom | wc -c; head -c 8 /dev/zero | wc -c; echo x > /dev/null; "
            "ls /dev/kvm /dev/mem /dev/nvidia0 /dev/sda /dev/tty 2>&1 | grep -c 'No such file'"));
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "/dev/null\n/dev/random\n/dev/urandom\n/dev/zero\n16\n8\n5\n");
}

TEST(Attack, StackOverflowIsASignal) {
  SKIP_WITHOUT_SANDBOX();
  std::string dir = CompileC("stack", R"(
#include <stdio.h>
static int depth(volatile char* prev) { volatile char buf[4096]; buf[0] = prev ? prev[0] + 1 : 0; return depth(buf) + buf[1]; }
int main(void) { printf("%d\n", depth(0)); return 0; }
)");
  JobSpec spec;
  spec.argv = {"./prog"};
  spec.work_dir_source = dir;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kSignal) << Describe(r);
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST(Attack, ManyOpenFilesHitTheLimit) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python(
      "fs = []\n"
      "try:\n"
      "    while True: fs.append(open('/dev/null'))\n"
      "except OSError as e:\n"
      "    print(len(fs), e.errno)\n");
  spec.limits.open_files = 32;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  int n = 0, err = 0;
  std::istringstream(r.stdout_data) >> n >> err;
  EXPECT_EQ(err, EMFILE);
  EXPECT_LE(n, 32);
  EXPECT_GE(n, 20);
}

TEST(Attack, NothingSurvivesIntoTheNextJob) {
  SKIP_WITHOUT_SANDBOX();
  const std::string token = Token("persist");
  JobSpec first;
  first.argv = {"sh", "-c",
                "echo 1 > /tmp/marker; echo 1 > /work/marker; echo 1 > /dev/shm/marker; "
                "ipcmk -M 4096 >/dev/null; ipcmk -Q >/dev/null; "
                "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); "
                "s.bind(\"\\0rl-abstract\"); s.listen(); print(\"bound\")'; "
                "(setsid sh -c 'sleep 1000' $0 &); echo planted",
                token};
  JobResult r1 = MustRun(first);
  EXPECT_EQ(r1.status, Outcome::kOk) << Describe(r1);
  EXPECT_EQ(r1.stdout_data, "bound\nplanted\n");
  JobResult r2 =
      MustRun(Shell("ls /tmp /work /dev/shm; ipcs -m | grep -c '^0x'; ipcs -q | grep -c '^0x'; "
                    "ps -e -o comm= | sort | tr '\\n' ' '; echo; "
                    "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); "
                    "s.bind(\"\\0rl-abstract\"); print(\"abstract name free\")'"));
  EXPECT_EQ(r2.status, Outcome::kOk) << Describe(r2);
  EXPECT_EQ(r2.stdout_data.find("marker"), std::string::npos) << r2.stdout_data;
  EXPECT_NE(r2.stdout_data.find("0\n0\n"), std::string::npos) << r2.stdout_data;
  EXPECT_EQ(r2.stdout_data.find("sleep"), std::string::npos) << r2.stdout_data;
  EXPECT_NE(r2.stdout_data.find("abstract name free"), std::string::npos) << r2.stdout_data;
  EXPECT_EQ(CountProcessesWithToken(token), 0);
}

}  // namespace
}  // namespace rl::sandbox
