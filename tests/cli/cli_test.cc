// Runs the real `rl` binary: help, config check errors, and a train → runs/metrics cycle.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {
namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out;
};

Result RunRl(const std::string& args) {
  std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Cli, HelpListsSubcommands) {
  Result r = RunRl("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* c : {"train", "config check", "config show", "runs", "metrics", "samples"}) {
    EXPECT_NE(r.out.find(c), std::string::npos) << c << "\n" << r.out;
  }
  Result sub = RunRl("metrics --help");
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--format"), std::string::npos);
  Result unknown = RunRl("trian");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.out.find("did you mean 'train'"), std::string::npos) << unknown.out;
}

TEST(Cli, ConfigCheckReportsPositions) {
  std::string dir = testing::TempDir() + "/cli_cfg";
  fs::create_directories(dir);
  std::ofstream(dir + "/bad.yaml") << "run:\n  name: x\nalgorithm:\n  eps_hihg: 2\n";
  Result r = RunRl("config check " + dir + "/bad.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bad.yaml:4:3: algorithm.eps_hihg: unknown key 'eps_hihg' (did you mean "
                       "'eps_high'?)"),
            std::string::npos)
      << r.out;
  Result ok = RunRl("config check " + std::string(RL_SOURCE_DIR) + "/configs/quickstart.yaml");
  EXPECT_EQ(ok.code, 0) << ok.out;
  Result show = RunRl("config show " + std::string(RL_SOURCE_DIR) +
                      "/configs/quickstart.yaml --set algorithm.eps_high=0.5");
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("eps_high: 0.5"), std::string::npos) << show.out;
}

TEST(Cli, TrainCreatesARunThatRunsListsAndResumeReuses) {
  std::string dir = testing::TempDir() + "/cli_run";
  fs::remove_all(dir);
  // A 1-step run of the tiny e2e config (the quickstart now really trains for minutes).
  std::string cfg = std::string(RL_SOURCE_DIR) + "/configs/tiny_e2e.yaml --set run.steps=1";
  Result first = RunRl("train " + cfg + " --set run.dir=" + dir);
  EXPECT_EQ(first.code, 0) << first.out;
  ASSERT_TRUE(fs::exists(dir + "/run.sqlite")) << first.out;
  Result again = RunRl("train " + cfg + " --set run.dir=" + dir);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("--resume"), std::string::npos) << again.out;
  Result runs = RunRl("runs " + dir);
  EXPECT_EQ(runs.code, 0);
  EXPECT_NE(runs.out.find("tiny-e2e"), std::string::npos) << runs.out;
  Result metrics = RunRl("metrics " + dir + " --format csv");
  EXPECT_EQ(metrics.code, 0) << metrics.out;
  Result missing = RunRl("metrics /nonexistent/run");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("no run store"), std::string::npos);
}

}  // namespace
