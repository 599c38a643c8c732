// `rl swe eval` end to end: --gold resolves every shipped instance; raw responses without a
// diff are empty patches; the summary line counts them.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/sandbox.h"

namespace {

const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";
const std::string kRl = std::string(RL_BINARY_DIR) + "/bin/rl";

std::vector<nlohmann::json> RunLines(const std::string& cmd, int* rc) {
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  *rc = pclose(f);
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(SweCli, GoldAndResponses) {
  if (!rl::sandbox::ProbeSupport().ok()) GTEST_SKIP();
  int rc = 0;
  auto lines = RunLines(kRl + " swe eval --instances " + kDir + "/instances.jsonl --gold", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(lines.size(), 13u);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(lines[i]["outcome"], "resolved") << lines[i];
  EXPECT_EQ(lines[12]["resolved"], 12);
  std::string responses = std::string(RL_BINARY_DIR) + "/swe_cli_responses.jsonl";
  std::ofstream(responses) << R"({"instance_id": "kv-1", "response": "No idea."})"
                           << "\n";
  lines = RunLines(kRl + " swe eval --instances " + kDir + "/instances.jsonl --patches " +
                       responses + " --id kv-1 --id kv-2",
                   &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["outcome"], "empty_patch");
  EXPECT_EQ(lines[2]["resolved"], 0);
  EXPECT_EQ(lines[2]["outcomes"]["empty_patch"], 2);
  RunLines(kRl + " swe eval --gold --patches x 2>/dev/null", &rc);
  EXPECT_NE(rc, 0);
}

}  // namespace
