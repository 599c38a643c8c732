#include "rl/driver/local_workers.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

namespace rl::driver {

LocalWorkers::~LocalWorkers() { StopAll(); }

void LocalWorkers::StopAll() {
  for (pid_t pid : pids_) {
    if (pid > 0) kill(pid, SIGTERM);
  }
  for (pid_t pid : pids_) {
    if (pid <= 0) continue;
    // Wait up to ~5 s for a clean exit, then SIGKILL.
    bool done = false;
    for (int i = 0; i < 100 && !done; ++i) {
      if (waitpid(pid, nullptr, WNOHANG) != 0)
        done = true;
      else
        usleep(50 * 1000);
    }
    if (!done) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  pids_.clear();
  addresses_.clear();
}

StatusOr<std::pair<pid_t, std::string>> LocalWorkers::StartOne() {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv = {"rl",
                                   "rollout-worker",
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--threads",
                                   std::to_string(flags_.threads),
                                   "--repetition-consecutive",
                                   std::to_string(flags_.repetition_consecutive),
                                   "--repetition-prob",
                                   std::to_string(flags_.repetition_prob)};
  if (flags_.ngram > 0) {
    argv.insert(argv.end(), {"--ngram", std::to_string(flags_.ngram), "--ngram-repeats",
                             std::to_string(flags_.ngram_repeats)});
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv("/proc/self/exe", cargv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string kPrefix = "listening on ";
  std::string address;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fds[0], POLLIN, 0};
    if (poll(&pfd, 1, 200) > 0) {
      char buf[512];
      ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      size_t nl = out.find('\n');
      if (nl != std::string::npos) {
        size_t at = out.find(kPrefix);
        if (at != std::string::npos && at < nl) {
          size_t s = at + kPrefix.size();
          size_t e = out.find_first_of(" \n", s);
          address = out.substr(s, e - s);
        }
        break;
      }
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      close(fds[0]);
      return absl::UnavailableError("rollout worker exited before listening: " + out);
    }
  }
  // Later output of the worker goes nowhere (the pipe is closed; the worker ignores EPIPE
  // only if it writes, and it writes just its final "stopped" line).
  close(fds[0]);
  if (address.empty()) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::UnavailableError("rollout worker did not report its address: " + out);
  }
  return std::make_pair(pid, address);
}

Status LocalWorkers::Spawn(int n, const WorkerFlags& flags) {
  flags_ = flags;
  for (int i = 0; i < n; ++i) {
    RL_ASSIGN_OR_RETURN(auto w, StartOne());
    pids_.push_back(w.first);
    addresses_.push_back(w.second);
  }
  return absl::OkStatus();
}

Status LocalWorkers::Restart(size_t i) {
  if (i >= pids_.size()) return absl::OutOfRangeError("no local worker " + std::to_string(i));
  if (pids_[i] > 0) {
    kill(pids_[i], SIGKILL);
    waitpid(pids_[i], nullptr, 0);
    pids_[i] = -1;
  }
  RL_ASSIGN_OR_RETURN(auto w, StartOne());
  pids_[i] = w.first;
  addresses_[i] = w.second;
  return absl::OkStatus();
}

StatusOr<int> LocalWorkers::RestartDead() {
  int restarted = 0;
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] > 0 && waitpid(pids_[i], nullptr, WNOHANG) == 0) continue;  // alive
    RL_ASSIGN_OR_RETURN(auto w, StartOne());
    pids_[i] = w.first;
    addresses_[i] = w.second;
    ++restarted;
  }
  return restarted;
}

}  // namespace rl::driver
