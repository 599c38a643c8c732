// Instance parsing, patch extraction and log parsers against hand-written cases.
#include <gtest/gtest.h>

#include "sandbox/swe/instance.h"
#include "sandbox/swe/runner.h"

namespace rl::swe {
namespace {

const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";

TEST(SweInstance, ParsesShippedDataset) {
  auto insts = ReadInstances(kDir + "/instances.jsonl");
  ASSERT_TRUE(insts.ok()) << insts.status();
  EXPECT_GE(insts->size(), 12u);
  std::set<std::string> repos;
  for (const Instance& i : *insts) {
    repos.insert(i.repo);
    EXPECT_FALSE(i.fail_to_pass.empty());
    EXPECT_FALSE(i.test_patch.empty());
  }
  EXPECT_GE(repos.size(), 3u);
}

TEST(SweInstance, ErrorsNameFileLineAndField) {
  std::string good_repo = kDir;
  auto r = ParseInstanceLine(R"({"instance_id":"x","repo":"repos/kv","problem_statement":"p",
      "test_cmd":"true","FAIL_TO_PASS":[]})",
                             "f.jsonl", 7, kDir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "f.jsonl:7: FAIL_TO_PASS: empty");
  r = ParseInstanceLine(R"({"instance_id":"x","repo":"nope","problem_statement":"p",
      "test_cmd":"true","FAIL_TO_PASS":["a"]})",
                        "f.jsonl", 3, kDir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f.jsonl:3: repo: not a directory"), std::string::npos);
  r = ParseInstanceLine(R"({"instance_id":"x","repo":"repos/kv","problem_statement":"p",
      "test_cmd":"true","FAIL_TO_PASS":["a"],"log_parser":"junit"})",
                        "f.jsonl", 2, kDir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f.jsonl:2: log_parser: unknown 'junit'"), std::string::npos);
  r = ParseInstanceLine("[1]", "f.jsonl", 1, kDir);
  EXPECT_FALSE(r.ok());
  r = ParseInstanceLine(R"({"instance_id":"x","repo":"repos/kv","problem_statement":"p",
      "test_cmd":"true","FAIL_TO_PASS":["a"],"time_limit_s":5})",
                        "f.jsonl", 1, kDir);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time_limit_s, 5);
  EXPECT_EQ(r->log_parser, "plain");
}

TEST(SweExtract, FencedRawAndNone) {
  const std::string diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(ExtractPatch("Here:\n```diff\n" + diff + "```\nthanks"), diff);
  EXPECT_EQ(ExtractPatch("```python\nprint(1)\n```\n```\n" + diff + "```"), diff);
  EXPECT_EQ(ExtractPatch("I think the fix is\n" + diff), diff);
  EXPECT_EQ(ExtractPatch("no diff here --- really"), "");
  EXPECT_EQ(PatchedPaths("diff --git a/p/q.c b/p/q.c\n--- a/p/q.c\n+++ b/p/q.c\n"
                         "--- a/gone\n+++ /dev/null\n--- /dev/null\n+++ b/new\n"),
            (std::vector<std::string>{"gone", "new", "p/q.c"}));
}

TEST(SweLogParsers, HandWrittenLogs) {
  auto p = ParseTestLog("plain", "a: PASS\nb: FAIL\nnoise\nc d: SKIP\n");
  EXPECT_EQ(p.tests.size(), 3u);
  EXPECT_EQ(p.tests["a"], TestStatus::kPass);
  EXPECT_EQ(p.tests["b"], TestStatus::kFail);
  EXPECT_EQ(p.tests["c d"], TestStatus::kSkip);
  p = ParseTestLog("plain", "a: PASS\na: FAIL\n");
  EXPECT_EQ(p.tests["a"], TestStatus::kFail);
  EXPECT_EQ(p.conflicts, std::vector<std::string>{"a"});
  p = ParseTestLog("pytest",
                   "t.py::test_a PASSED [50%]\nt.py::test_b FAILED\n"
                   "FAILED t.py::test_b - assert 1 == 2\nSKIPPED t.py::test_c\n");
  EXPECT_EQ(p.tests["t.py::test_a"], TestStatus::kPass);
  EXPECT_EQ(p.tests["t.py::test_b"], TestStatus::kFail);
  EXPECT_EQ(p.tests["t.py::test_c"], TestStatus::kSkip);
  EXPECT_TRUE(p.conflicts.empty());
  p = ParseTestLog("gotest",
                   "=== RUN TestA\n--- PASS: TestA (0.00s)\n    --- FAIL: TestB/sub (0.01s)\n");
  EXPECT_EQ(p.tests["TestA"], TestStatus::kPass);
  EXPECT_EQ(p.tests["TestB/sub"], TestStatus::kFail);
  p = ParseTestLog("gtest",
                   "[ RUN      ] S.A\n[       OK ] S.A (0 ms)\n[  FAILED  ] S.B (1 ms)\n"
                   "[  FAILED  ] 1 test, listed below:\n[  FAILED  ] S.B\n"
                   "1/2 Test #1: unit_a ..........   Passed    0.01 sec\n"
                   "2/2 Test #2: unit_b ..........***Failed    0.02 sec\n");
  EXPECT_EQ(p.tests["S.A"], TestStatus::kPass);
  EXPECT_EQ(p.tests["S.B"], TestStatus::kFail);
  EXPECT_EQ(p.tests["unit_a"], TestStatus::kPass);
  EXPECT_EQ(p.tests["unit_b"], TestStatus::kFail);
  EXPECT_TRUE(p.conflicts.empty());
}

}  // namespace
}  // namespace rl::swe
