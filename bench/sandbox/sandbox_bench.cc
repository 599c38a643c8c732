// Sandbox throughput: jobs per second for a trivial python3 program through SandboxPool with
// K = 1, 2, 4 concurrent sandboxes, next to the same program run without any sandbox
// (posix_spawn + wait) as the floor. Prints a Markdown table.
//
//   sandbox_bench [--jobs N]   (default 24 jobs per row)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

const char* const kProgram = "print(sum(range(1000)))";

double Unsandboxed(int jobs) {
  auto start = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    const char* argv[] = {"/usr/bin/python3", "-c", kProgram, nullptr};
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ) != 0) {
      std::perror("posix_spawn");
      std::exit(1);
    }
    posix_spawn_file_actions_destroy(&actions);
    waitpid(pid, nullptr, 0);
  }
  return jobs / Seconds(start, Clock::now());
}

double Pooled(int k, int jobs, int* failures) {
  rl::sandbox::SandboxPool pool(k);
  std::vector<std::future<absl::StatusOr<rl::sandbox::JobResult>>> futures;
  auto start = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    rl::sandbox::JobSpec spec;
    spec.argv = {"python3", "-c", kProgram};
    futures.push_back(pool.Submit(std::move(spec)));
  }
  for (auto& f : futures) {
    auto r = f.get();
    if (!r.ok() || r->status != rl::sandbox::Outcome::kOk || r->stdout_data != "499500\n") {
      ++*failures;
    }
  }
  return jobs / Seconds(start, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = 24;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--jobs") == 0) jobs = std::atoi(argv[i + 1]);
  }
  if (auto st = rl::sandbox::ProbeSupport(); !st.ok()) {
    std::fprintf(stderr, "sandbox unsupported here: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("enforcement: %s; %d jobs of python3 -c '%s' per row\n\n",
              rl::sandbox::EnforcementSummary().c_str(), jobs, kProgram);
  std::printf("| mode | K | jobs/s | ms/job (wall / K) | failures |\n|---|---|---|---|---|\n");
  double base = Unsandboxed(jobs);
  std::printf("| no sandbox (posix_spawn) | 1 | %.1f | %.1f | 0 |\n", base, 1000.0 / base);
  for (int k : {1, 2, 4}) {
    int failures = 0;
    double rate = Pooled(k, jobs, &failures);
    std::printf("| SandboxPool | %d | %.1f | %.1f | %d |\n", k, rate, 1000.0 * k / rate, failures);
  }
  return 0;
}
