// Runs the real `rl sandbox run` binary and checks its JSON: statuses, both option spellings,
// stdin passed through, --dir copied in, and usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "sandbox/sandbox.h"

namespace {

struct Result {
  int code;
  std::string out;
};

Result RunRl(const std::string& args) {
  std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

nlohmann::json Json(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

#define SKIP_WITHOUT_SANDBOX()                                              \
  do {                                                                      \
    absl::Status probe = ::rl::sandbox::ProbeSupport();                     \
    if (!probe.ok()) GTEST_SKIP() << "kernel refuses: " << probe.message(); \
  } while (0)

TEST(SandboxCli, PrintsOneJsonObject) {
  SKIP_WITHOUT_SANDBOX();
  auto j = Json(RunRl("sandbox run --no-stdin -- sh -c 'echo hi; echo err >&2; exit 4'"));
  EXPECT_EQ(j["status"], "RE");
  EXPECT_EQ(j["exit_code"], 4);
  EXPECT_EQ(j["signal"], 0);
  EXPECT_EQ(j["stdout"], "hi\n");
  EXPECT_EQ(j["stderr"], "err\n");
  EXPECT_EQ(j["truncated"], false);
  for (const char* key : {"cpu_s", "wall_s", "max_rss_kb"}) {
    EXPECT_TRUE(j[key].is_number()) << key;
  }
}

TEST(SandboxCli, LimitsInBothSpellingsAndStdin) {
  SKIP_WITHOUT_SANDBOX();
  auto to = Json(RunRl("sandbox run --no-stdin --wall=1 -- sleep 30"));
  EXPECT_EQ(to["status"], "TO");
  auto cpu = Json(RunRl("sandbox run --no-stdin --time 1 -- python3 -c 'while 1: pass'"));
  EXPECT_EQ(cpu["status"], "TO");
  auto mle = Json(RunRl("sandbox run --no-stdin --mem=48 -- python3 -c 'a = bytearray(1 << 30)'"));
  EXPECT_EQ(mle["status"], "MLE");
  auto procs =
      Json(RunRl("sandbox run --no-stdin --procs 4 -- python3 -c "
                 "'import os\nfor i in range(10): os.fork() or os._exit(0)'"));
  EXPECT_EQ(procs["status"], "RE");  // BlockingIOError on the fork past the cap
  auto ole =
      Json(RunRl("sandbox run --no-stdin --output 8 -- sh -c "
                 "'printf \"\\377\\000\"; yes'"));
  EXPECT_EQ(ole["status"], "OLE");
  EXPECT_EQ(ole["truncated"], true);
  EXPECT_EQ(ole["stdout"].get<std::string>().substr(0, 4), std::string("\xEF\xBF\xBD\0", 4));
  auto in = Json(RunRl("sandbox run -- tr a-z A-Z < /etc/hostname"));
  std::ifstream host("/etc/hostname");
  std::string name((std::istreambuf_iterator<char>(host)), std::istreambuf_iterator<char>());
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(in["stdout"], name);
}

TEST(SandboxCli, DirIsCopiedIntoWork) {
  SKIP_WITHOUT_SANDBOX();
  std::string dir = ::testing::TempDir() + "/cli_sandbox_dir";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/answer.txt") << "42";
  auto j = Json(RunRl("sandbox run --no-stdin --dir " + dir + " -- cat answer.txt"));
  EXPECT_EQ(j["status"], "OK");
  EXPECT_EQ(j["stdout"], "42");
}

TEST(SandboxCli, UsageErrors) {
  EXPECT_EQ(RunRl("sandbox run 2>/dev/null").code, 2);  // no command
  EXPECT_EQ(RunRl("sandbox run --mem x -- true 2>/dev/null").code, 2);
  Result help = RunRl("sandbox run --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--wall"), std::string::npos);
}

}  // namespace
