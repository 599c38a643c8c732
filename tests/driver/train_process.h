// Shared scaffolding of the driver's end-to-end tests: `rl train` as a real child process
// (stderr to DIR.log), waiting for it, and reading its run store. Header-only, test code.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "rl/store/run_store.h"

namespace rl::e2e {

// <tmp>/<prefix><pid>_<name>, removed if it exists (with its .log).
inline std::string FreshDir(const std::string& prefix, const std::string& name) {
  std::filesystem::path d =
      std::filesystem::temp_directory_path() / (prefix + std::to_string(getpid()) + "_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::remove(d.string() + ".log");
  return d.string();
}

// Starts `rl train CONFIG --set run.dir=DIR <extra>` (in cwd when given); stderr → DIR.log.
inline pid_t StartTrain(const std::string& config, const std::string& dir,
                        std::vector<std::string> extra, const std::string& cwd = "") {
  std::vector<std::string> argv = {std::string(RL_BINARY_DIR) + "/bin/rl", "train", config, "--set",
                                   "run.dir=" + dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const std::string log = dir + ".log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) dup2(fileno(f), STDERR_FILENO);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  return pid;
}

// Exit code, or 128 + signal.
inline int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string Log(const std::string& dir) { return ReadFileText(dir + ".log"); }

inline std::unique_ptr<rl::store::RunStore> OpenStore(const std::string& dir) {
  auto s = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(*s) : nullptr;
}

// step → value of one metric.
inline std::map<int64_t, double> Metric(rl::store::RunStore& s, int64_t run,
                                        const std::string& name) {
  std::map<int64_t, double> out;
  auto rows = s.Metrics(run, name);
  if (rows.ok()) {
    for (const auto& r : *rows) out[r.step] = r.value;
  }
  return out;
}

// Waits until the newest run has a time/step_s row at `step` (the driver flushes per step).
inline bool WaitForStep(const std::string& dir, int64_t step, double timeout_s) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (std::filesystem::exists(dir + "/run.sqlite")) {
      auto s = rl::store::RunStore::OpenReadOnly(dir + "/run.sqlite");
      if (s.ok()) {
        auto runs = (*s)->ListRuns();
        if (runs.ok() && !runs->empty() && Metric(**s, runs->back().id, "time/step_s").count(step))
          return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace rl::e2e
