// Helpers shared by the sandbox suites: run a job (skipping only where the kernel refuses
// namespaces), compile a C program on the host, count processes left behind on the host.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sandbox/sandbox.h"

namespace rl::sandbox::testing_util {

#define SKIP_WITHOUT_SANDBOX()                                              \
  do {                                                                      \
    absl::Status probe = ::rl::sandbox::ProbeSupport();                     \
    if (!probe.ok()) GTEST_SKIP() << "kernel refuses: " << probe.message(); \
  } while (0)

inline JobSpec Shell(const std::string& script) {
  JobSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.limits.wall_s = 10;
  return spec;
}

inline JobSpec Python(const std::string& code) {
  JobSpec spec;
  spec.argv = {"python3", "-c", code};
  spec.limits.wall_s = 10;
  return spec;
}

inline JobResult MustRun(const JobSpec& spec) {
  absl::StatusOr<JobResult> r = RunJob(spec);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : JobResult{};
}

inline std::string Describe(const JobResult& r) {
  return std::string(OutcomeName(r.status)) + " exit=" + std::to_string(r.exit_code) +
         " sig=" + std::to_string(r.signal) + " msg=" + r.message +
         "\nstdout: " + r.stdout_data.substr(0, 2000) +
         "\nstderr: " + r.stderr_data.substr(0, 2000);
}

// Compiles source with the host's cc into a fresh directory holding `prog`; returns the dir.
inline std::string CompileC(const std::string& name, const std::string& source) {
  std::string dir = ::testing::TempDir() + "/sandbox_c_" + name + "_" + std::to_string(getpid());
  std::string cmd = "mkdir -p " + dir;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::ofstream(dir + "/prog.c") << source;
  cmd = "cc -O0 -o " + dir + "/prog " + dir + "/prog.c 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::remove((dir + "/prog.c").c_str());
  return dir;
}

// A token unique to this test process, to put in a job's command line.
inline std::string Token(const std::string& what) {
  return "rlsb_" + what + "_" + std::to_string(getpid());
}

// Host processes whose command line contains token (ctest may run other sandbox tests at
// the same time, so uids alone cannot tell whose processes these are).
inline int CountProcessesWithToken(const std::string& token) {
  int count = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(token) != std::string::npos) ++count;
  }
  closedir(d);
  return count;
}

}  // namespace rl::sandbox::testing_util
