// The real `rl verify` and `rl verifier-server` binaries: JSON per case, both option
// spellings, malformed input named by file:line, and a server that answers and stops on
// SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rewards/plugins/plugins.h"

namespace {

using nlohmann::json;

struct Result {
  int code;
  std::string out;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Result RunRl(const std::string& args) {
  std::string cmd = std::string(RL_BINARY_DIR) + "/bin/rl " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<json> Lines(const std::string& out) {
  std::vector<json> v;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    v.push_back(json::parse(out.substr(start, nl - start)));
    start = nl + 1;
  }
  return v;
}

TEST(VerifyCli, SingleCase) {
  auto r = RunRl("verify --verifier math --reference " + Quote("\\frac{1}{2}") + " --response " +
                 Quote("\\boxed{0.5}"));
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = Lines(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["reward"], 1.0);
  EXPECT_EQ(j[0]["correct"], true);
  EXPECT_TRUE(j[0]["details"].is_object());
  r = RunRl("verify --verifier=math --reference=5 --response=" + Quote("\\boxed{5} or \\boxed{6}"));
  EXPECT_EQ(Lines(r.out)[0]["correct"], false);
  r = RunRl("verify --verifier countdown --response " + Quote("\\boxed{4*3-2}") + " --metadata " +
            Quote(R"({"numbers":[2,3,4],"target":10})"));
  EXPECT_EQ(Lines(r.out)[0]["correct"], true) << r.out;
  EXPECT_EQ(RunRl("verify --verifier maht --reference 1 --response 1").code, 1);
  EXPECT_EQ(
      RunRl("verify --verifier math --reference 1 --response 1 --metadata " + Quote("[1]")).code,
      1);
  EXPECT_EQ(RunRl("verify --reference 1 --response 1").code, 1);
}

TEST(VerifyCli, JsonlOneResultPerLine) {
  std::string path = testing::TempDir() + "/cases.jsonl";
  std::ofstream(path) << R"({"id": "a", "answer": "3", "response": "\\boxed{3}"})"
                      << "\n\n"
                      << R"({"reference": "x^2-1", "response": "\\boxed{(x-1)(x+1)}"})"
                      << "\n"
                      << "not json\n"
                      << R"({"task": {"answer": "7"}, "response": "the answer is 8"})"
                      << "\n";
  auto r = RunRl("verify --verifier math --jsonl " + path);
  EXPECT_EQ(r.code, 1) << "a malformed line makes the exit code 1";
  auto j = Lines(r.out);
  ASSERT_EQ(j.size(), 4u) << r.out;
  EXPECT_EQ(j[0]["correct"], true);
  EXPECT_EQ(j[0]["id"], "a");
  EXPECT_EQ(j[1]["correct"], true);
  EXPECT_TRUE(j[2]["correct"].is_null());
  EXPECT_NE(j[2]["details"]["error"].get<std::string>().find("cases.jsonl:4"), std::string::npos);
  EXPECT_EQ(j[3]["correct"], false);
}

TEST(VerifierServerCli, ServesAndStopsOnSigterm) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::string bin = std::string(RL_BINARY_DIR) + "/bin/rl";
    execl(bin.c_str(), bin.c_str(), "verifier-server", "--port", "0", nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {0};
  ASSERT_NE(fgets(line, sizeof(line), f), nullptr);
  std::string l(line);
  ASSERT_EQ(l.rfind("listening ", 0), 0u) << l;
  std::string address = l.substr(10, l.find('\n') - 10);
  auto v = rl::rewards::MakeGrpcVerifier(address, "math");
  ASSERT_TRUE(v.ok());
  rl::tasks::Task t{"id", "math", "", "12", "{}"};
  rl::rewards::VerifyInput in;
  in.task = &t;
  in.response = "\\boxed{12}";
  auto r = (*v)->Verify(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->correct, true);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fclose(f);
}

}  // namespace
