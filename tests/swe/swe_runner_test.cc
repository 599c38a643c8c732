// The runner end to end in the sandbox: every gold patch resolves its instance; empty,
// P2P-breaking and malicious patches score 0 with the expected outcome; the host repository
// copy stays untouched.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"
#include "sandbox/swe/runner.h"

namespace rl::swe {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A patch (git diff --no-index) replacing `old_text` by `new_text` in repo/rel, plus optional
// new files.
std::string MakePatch(const std::string& repo, const std::vector<std::array<std::string, 3>>& edits,
                      const std::map<std::string, std::string>& new_files = {}) {
  fs::path tmp = fs::temp_directory_path() / ("swe_patch_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  for (const char* side : {"a", "b"}) fs::create_directories(tmp / side);
  auto write = [&](const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  };
  std::map<std::string, std::string> edited;
  for (const auto& [rel, old_text, new_text] : edits) {
    if (!edited.count(rel)) {
      edited[rel] = ReadFile(repo + "/" + rel);
      write(tmp / "a" / rel, edited[rel]);
    }
    std::string& text = edited[rel];
    size_t at = text.find(old_text);
    EXPECT_NE(at, std::string::npos) << old_text;
    if (at != std::string::npos) text.replace(at, old_text.size(), new_text);
  }
  for (const auto& [rel, text] : edited) write(tmp / "b" / rel, text);
  for (const auto& [rel, text] : new_files) write(tmp / "b" / rel, text);
  std::string cmd = "cd " + tmp.string() + " && git diff --no-index --no-prefix a b";
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  fs::remove_all(tmp);
  return out;
}

class SweRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sandbox::ProbeSupport().ok()) GTEST_SKIP() << sandbox::ProbeSupport();
    auto insts = ReadInstances(kDir + "/instances.jsonl");
    ASSERT_TRUE(insts.ok()) << insts.status();
    for (Instance& i : *insts) by_id_[i.instance_id] = i;
    auto gold = ReadPatches(kDir + "/gold.jsonl");
    ASSERT_TRUE(gold.ok()) << gold.status();
    gold_ = *gold;
  }
  EvalResult RunOne(const std::string& id, const std::string& patch) {
    auto r = swe::Run(by_id_.at(id), patch);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : EvalResult{};
  }
  std::map<std::string, Instance> by_id_;
  std::map<std::string, std::string> gold_;
};

std::string TreeDigest(const std::string& dir) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) all += e.path().string() + "\n" + ReadFile(e.path()) + "\n";
  return all;
}

TEST_F(SweRunner, EveryGoldPatchResolvesAndEmptyPatchesFail) {
  std::string before = TreeDigest(kDir + "/repos");
  std::vector<std::pair<const Instance*, std::string>> jobs;
  for (const auto& [id, inst] : by_id_) {
    ASSERT_TRUE(gold_.count(id)) << id;
    jobs.emplace_back(&inst, gold_[id]);
    jobs.emplace_back(&inst, "");
  }
  sandbox::SandboxPool pool(2);
  auto results = RunMany(jobs, pool);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); i += 2) {
    const EvalResult& g = (*results)[i];
    EXPECT_EQ(g.outcome, "resolved") << EvalResultToJson(g).dump() << "\n" << g.log_tail;
    EXPECT_EQ(g.reward, 1.0f);
    EXPECT_EQ(g.patch_method, "git_apply");
    for (const auto& [name, st] : g.tests) EXPECT_EQ(st, "PASS") << g.instance_id << " " << name;
    const EvalResult& e = (*results)[i + 1];
    EXPECT_EQ(e.outcome, "empty_patch");
    EXPECT_EQ(e.reward, 0.0f);
  }
  EXPECT_EQ(before, TreeDigest(kDir + "/repos"));
}

TEST_F(SweRunner, BaseTreeFailsOnlyTheFailToPassTests) {
  // A harmless patch (a comment) leaves the bug: FAIL_TO_PASS fail, PASS_TO_PASS pass.
  const Instance& inst = by_id_.at("cstr-3");
  std::string patch = MakePatch(
      inst.repo, {{"src/cstr.c", "#include <string.h>\n", "#include <string.h>\n/* touched */\n"}});
  EvalResult r = RunOne("cstr-3", patch);
  EXPECT_EQ(r.outcome, "unresolved") << r.log_tail;
  EXPECT_EQ(r.tests.at("count_first"), "FAIL");
  for (const std::string& t : inst.pass_to_pass) EXPECT_EQ(r.tests.at(t), "PASS") << t;
}

TEST_F(SweRunner, FixThatBreaksPassToPassScoresZero) {
  const Instance& inst = by_id_.at("textkit-4");
  std::string patch = MakePatch(
      inst.repo,
      {{"textkit/core.py", "    return ordered[len(ordered) // 2]\n",
        "    mid = len(ordered) // 2\n    if len(ordered) % 2 == 0:\n"
        "        return (ordered[mid - 1] + ordered[mid]) / 2\n    return ordered[mid]\n"},
       {"textkit/core.py", "    return max(lo, min(hi, x))", "    return min(lo, max(hi, x))"}});
  EvalResult r = RunOne("textkit-4", patch);
  EXPECT_EQ(r.outcome, "unresolved");
  EXPECT_EQ(r.reward, 0.0f);
  EXPECT_EQ(r.tests.at("tests.test_core.CoreTests.test_median_even"), "PASS");
  EXPECT_EQ(r.tests.at("tests.test_core.CoreTests.test_clamp"), "FAIL");
}

TEST_F(SweRunner, FuzzyFallbackAndGarbagePatch) {
  // Context off by a line: git apply refuses, patch --fuzz applies.
  std::string gold = gold_.at("cstr-4");
  std::string fuzzy = gold;
  size_t at = fuzzy.find("char t = s[i];");
  ASSERT_NE(at, std::string::npos) << fuzzy;
  fuzzy.replace(at, 14, "char t = s[i]; /* drift */");
  EvalResult r = RunOne("cstr-4", fuzzy);
  EXPECT_EQ(r.patch_method, "patch_fuzz") << EvalResultToJson(r).dump();
  EXPECT_EQ(r.outcome, "resolved");
  r = RunOne("cstr-4",
             "--- a/src/cstr.c\n+++ b/src/cstr.c\n@@ -1,1 +1,1 @@\n-nothing like this\n+x\n");
  EXPECT_EQ(r.outcome, "patch_failed");
  EXPECT_EQ(r.reward, 0.0f);
}

TEST_F(SweRunner, EditingTestsRunnerOrSitecustomizeDoesNotCount) {
  const Instance& tk = by_id_.at("textkit-1");
  // Rewrites the runner to report success, the test file to drop assertions, and adds a
  // sitecustomize.py that would patch unittest: all restored or removed before the tests run.
  std::string patch =
      MakePatch(tk.repo,
                {{"run_tests.py", "suite = unittest",
                  "print('tests.test_core.CoreTests.test_slugify_collapses: PASS'); "
                  "sys.exit(0)\nsuite = unittest"},
                 {"tests/test_core.py", "self.assertEqual(core.clamp(5, 0, 3), 3)", "pass"}},
                {{"sitecustomize.py",
                  "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\n"},
                 {"tests/conftest.py", "raise SystemExit(0)\n"}});
  EvalResult r = RunOne("textkit-1", patch);
  EXPECT_EQ(r.outcome, "unresolved") << EvalResultToJson(r).dump() << r.log_tail;
  EXPECT_EQ(r.tests.at("tests.test_core.CoreTests.test_slugify_collapses"), "FAIL");
  // The C repo's Makefile is protected too.
  const Instance& cs = by_id_.at("cstr-1");
  patch =
      MakePatch(cs.repo, {{"Makefile", "\t./build/test_cstr", "\t@echo 'trim_trailing: PASS'"}});
  r = RunOne("cstr-1", patch);
  EXPECT_EQ(r.outcome, "unresolved") << EvalResultToJson(r).dump();
}

TEST_F(SweRunner, ForgedResultLinesAreRejected) {
  const Instance& tk = by_id_.at("textkit-2");
  // Prints a forged PASS at import time; the real runner then reports FAIL: conflict.
  std::string patch = MakePatch(
      tk.repo,
      {{"textkit/core.py", "import re\n",
        "import re\nprint('tests.test_core.CoreTests.test_chunk_partial: PASS', flush=True)\n"}});
  EvalResult r = RunOne("textkit-2", patch);
  EXPECT_EQ(r.outcome, "rejected") << EvalResultToJson(r).dump();
  EXPECT_EQ(r.reward, 0.0f);
  // Forges every line and exits non-zero (a crash after the forgery).
  const Instance& cs = by_id_.at("cstr-4");
  patch = MakePatch(
      cs.repo,
      {{"src/cstr.c", "#include <string.h>\n",
        "#include <string.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
        "__attribute__((constructor)) static void forge(void) {\n"
        "  puts(\"upper: PASS\\nstarts_with: PASS\\ntrim_leading: PASS\\nto_long_positive: PASS\\n"
        "reverse_odd: PASS\\nreverse_even: PASS\"); fflush(stdout); abort();\n}\n"}});
  r = RunOne("cstr-4", patch);
  EXPECT_EQ(r.outcome, "rejected") << EvalResultToJson(r).dump();
  EXPECT_EQ(r.reward, 0.0f);
}

TEST_F(SweRunner, HostFilesAndNetworkAreOutOfReach) {
  // The fix is gated on a breach: it is correct only if the host's gold file is readable or
  // a TCP connection opens. Contained ⇒ the P2P clamp test fails ⇒ reward 0.
  const Instance& tk = by_id_.at("textkit-4");
  std::string host_file = kDir + "/gold.jsonl";
  std::string patch = MakePatch(
      tk.repo,
      {{"textkit/core.py", "    return ordered[len(ordered) // 2]\n",
        "    mid = len(ordered) // 2\n    if len(ordered) % 2 == 0:\n"
        "        return (ordered[mid - 1] + ordered[mid]) / 2\n    return ordered[mid]\n"},
       {"textkit/core.py", "    return max(lo, min(hi, x))",
        "    import os, socket\n    ok = os.path.exists('" + host_file +
            "')\n"
            "    for host in ('1.1.1.1', '127.0.0.1'):\n        try:\n"
            "            socket.create_connection((host, 80), timeout=1).close(); ok = True\n"
            "        except OSError:\n            pass\n"
            "    return max(lo, min(hi, x)) if ok else None"}});
  EvalResult r = RunOne("textkit-4", patch);
  EXPECT_EQ(r.outcome, "unresolved") << r.log_tail;
  EXPECT_EQ(r.tests.at("tests.test_core.CoreTests.test_clamp"), "FAIL");
  EXPECT_EQ(r.tests.at("tests.test_core.CoreTests.test_median_even"), "PASS");
}

TEST_F(SweRunner, SymlinkPatchAndTimeout) {
  std::string patch =
      "diff --git a/evil b/evil\nnew file mode 120000\n--- /dev/null\n+++ b/evil\n"
      "@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n";
  EvalResult r = RunOne("kv-1", patch);
  EXPECT_EQ(r.outcome, "patch_rejected") << EvalResultToJson(r).dump();
  Instance slow = by_id_.at("textkit-3");
  slow.time_limit_s = 2;
  patch = MakePatch(slow.repo, {{"textkit/core.py", "    total = 0\n",
                                 "    while True:\n        pass\n    total = 0\n"}});
  auto res = swe::Run(slow, patch);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->outcome, "timeout") << EvalResultToJson(*res).dump();
  EXPECT_EQ(res->reward, 0.0f);
}

}  // namespace
}  // namespace rl::swe
