// The code verifier: real Python and C++ programs in the sandbox, graded outside it. The
// grader's weak-comparison and forged-output cases (SANDBOX_THREATS.md) each get a program.
// The output checker is also tested on its own against hand-written expectations.
#include "rewards/code/code_verifier.h"

#include <gtest/gtest.h>

#include "rewards/code/output_checker.h"
#include "sandbox/sandbox.h"

namespace rl::rewards::code {
namespace {

using nlohmann::json;

TEST(OutputChecker, ExactLineCountAndTokens) {
  CheckOptions exact;
  EXPECT_TRUE(OutputMatches("1 2\n3\n", "1 2\n3", exact));
  EXPECT_TRUE(
      OutputMatches("1 2\n3\n", "1  2   \r\n3\n\n\n", exact));    // trailing space / blank lines
  EXPECT_FALSE(OutputMatches("1 2\n3\n", "1 2\n", exact));        // fewer lines
  EXPECT_FALSE(OutputMatches("1 2\n3\n", "1 2\n3\n4\n", exact));  // extra line
  EXPECT_FALSE(OutputMatches("1 2\n3\n", "1 2 3\n", exact));      // joined lines
  EXPECT_FALSE(OutputMatches("1 2\n3\n", "1\n2 3\n", exact));
  EXPECT_FALSE(OutputMatches("1 2\n3\n", "1 2\n\n3\n", exact));  // a blank line inside
  EXPECT_FALSE(OutputMatches("0.5\n", "0.50\n", exact));
  EXPECT_FALSE(OutputMatches("", "x", exact));
  EXPECT_TRUE(OutputMatches("", "\n\n", exact));
}

TEST(OutputChecker, ToleranceAndBigIntegers) {
  CheckOptions tol;
  tol.tolerance = true;
  EXPECT_TRUE(OutputMatches("0.333333\n", "0.3333333333\n", tol));
  EXPECT_TRUE(OutputMatches("1000000.0\n", "1000000.5\n", tol));  // rel 5e-7 ≤ 1e-6
  EXPECT_FALSE(OutputMatches("1000000.0\n", "1000002\n", tol));
  EXPECT_FALSE(OutputMatches("0.333333\n", "0.3334\n", tol));
  EXPECT_FALSE(OutputMatches("0.5\n", "nan\n", tol));
  EXPECT_FALSE(OutputMatches("0.5\n", "inf\n", tol));
  EXPECT_FALSE(OutputMatches("0.5\n", "NaN\n", tol));
  EXPECT_FALSE(OutputMatches("1e308\n", "1e309\n", tol));  // overflow to inf is not a number
  EXPECT_FALSE(OutputMatches("1000000000000000000\n", "1000000000000000001\n", tol));
  EXPECT_FALSE(OutputMatches("1000000000000000000\n", "1e18\n", tol));
  EXPECT_TRUE(
      OutputMatches("123456789012345678901234567890\n", "+0123456789012345678901234567890\n", tol));
  EXPECT_FALSE(
      OutputMatches("123456789012345678901234567890\n", "123456789012345678901234567891\n", tol));
  EXPECT_TRUE(OutputMatches("-0\n", "0\n", tol));
  EXPECT_TRUE(OutputMatches("YES 2.0\n", "YES 2.0000001\n", tol));
  EXPECT_FALSE(OutputMatches("YES 2.0\n", "yes 2.0\n", tol));
}

TEST(CodeBlock, LastFencedBlockAfterThinking) {
  auto b = ExtractCodeBlock(
      "<think>```python\nprint(0)\n```</think>\nHere:\n```Python\nprint(1)\n```\n");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->first, "python");
  EXPECT_EQ(b->second, "print(1)\n");
  EXPECT_FALSE(ExtractCodeBlock("print(1)").has_value());
}

class CodeVerifierTest : public testing::Test {
 protected:
  void SetUp() override {
    Status st = sandbox::ProbeSupport();
    if (!st.ok()) GTEST_SKIP() << "sandbox unsupported here: " << st.message();
  }

  VerifyResult Run(const std::string& code, const std::string& lang, json meta) {
    tasks::Task t{"code1", "code", "", "", meta.dump()};
    VerifyInput in;
    in.task = &t;
    std::string response = "Solution:\n```" + lang + "\n" + code + "\n```\n";
    in.response = response;
    auto r = verifier_->Verify(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : VerifyResult{};
  }

  static json SumTests() {
    return {{"tests",
             {{{"input", "1 2\n"}, {"output", "3\n"}},
              {{"input", "10 -4\n"}, {"output", "6\n"}},
              {{"input", "1000000000000000000 1\n"}, {"output", "1000000000000000001\n"}}}}};
  }

  std::shared_ptr<Verifier> verifier_ = MakeCodeVerifier({2, 2, 256, 64, 256, 30});
};

TEST_F(CodeVerifierTest, PythonPassesAndFailsPerTest) {
  auto ok = Run("a, b = map(int, input().split())\nprint(a + b)", "python", SumTests());
  EXPECT_EQ(ok.correct, true) << ok.details.dump();
  EXPECT_EQ(ok.reward, 1.0f);
  EXPECT_EQ(ok.details["status"], "OK");
  // Float arithmetic loses the big-integer test: WA on exactly that one.
  auto lossy = Run("a, b = map(float, input().split())\nprint(int(a + b))", "python", SumTests());
  EXPECT_EQ(lossy.correct, false);
  EXPECT_EQ(lossy.details["passed"], 2);
  EXPECT_EQ(lossy.details["tests"][2]["verdict"], "WA");
  EXPECT_EQ(lossy.reward, 0.0f);
  json frac = SumTests();
  frac["reward"] = "fraction";
  auto partial = Run("a, b = map(float, input().split())\nprint(int(a + b))", "python", frac);
  EXPECT_FLOAT_EQ(partial.reward, 2.0f / 3.0f);
}

TEST_F(CodeVerifierTest, ForgedAndEarlyExitsGetNothing) {
  // Exit 0 before printing anything.
  auto early = Run("import sys\nsys.exit(0)", "python", SumTests());
  EXPECT_EQ(early.details["status"], "WA");
  EXPECT_EQ(early.reward, 0.0f);
  // Prints the right answer, then crashes: RE, not a pass.
  auto crash =
      Run("a, b = map(int, input().split())\nprint(a + b, flush=True)\nraise SystemExit(3)",
          "python", SumTests());
  EXPECT_EQ(crash.details["status"], "RE");
  EXPECT_EQ(crash.details["passed"], 0);
  // A forged verdict.
  auto forged = Run("print('All tests passed')\nprint('PASSED test_sum')", "python", SumTests());
  EXPECT_EQ(forged.details["status"], "WA");
  // An object that compares equal to anything cannot help: only bytes are compared.
  auto eq =
      Run("class A:\n  def __eq__(self, o): return True\n  def __repr__(self): return "
          "'A()'\nprint(A())",
          "python", SumTests());
  EXPECT_EQ(eq.details["status"], "WA");
  // Correct lines plus one extra.
  auto extra = Run("a, b = map(int, input().split())\nprint(a + b)\nprint()\nprint(0)", "python",
                   SumTests());
  EXPECT_EQ(extra.details["status"], "WA");
}

TEST_F(CodeVerifierTest, LimitsAreReportedDistinctly) {
  json one = {
      {"tests", {{{"input", ""}, {"output", "1\n"}}}}, {"time_limit_s", 1}, {"memory_mb", 64}};
  EXPECT_EQ(Run("while True: pass", "python", one).details["status"], "TO");
  EXPECT_EQ(Run("x = bytearray(1 << 30)\nprint(1)", "python", one).details["status"], "MLE");
  EXPECT_EQ(
      Run("import sys\nwhile True: sys.stdout.write('y' * 65536)", "python", one).details["status"],
      "OLE");
  EXPECT_EQ(Run("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "python", one)
                .details["status"],
            "SG");
  EXPECT_EQ(Run("print(1/0)", "python", one).details["status"], "RE");
  auto none = verifier_->Verify([] {
    static tasks::Task t{"c", "code", "", "", R"({"tests":[{"input":"","output":"1"}]})"};
    VerifyInput in;
    in.task = &t;
    in.response = "no code here";
    return in;
  }());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->details["status"], "NO_CODE");
}

TEST_F(CodeVerifierTest, CppCompilesRunsAndReportsCompileErrors) {
  auto ok =
      Run("#include <iostream>\nint main(){ long long a, b; std::cin >> a >> b; std::cout << a + b "
          "<< \"\\n\"; }",
          "cpp", SumTests());
  EXPECT_EQ(ok.correct, true) << ok.details.dump();
  auto ce = Run("int main() { return undefined_name; }", "cpp", SumTests());
  EXPECT_EQ(ce.details["status"], "CE");
  EXPECT_NE(ce.details["compile_stderr"].get<std::string>().find("undefined_name"),
            std::string::npos);
  EXPECT_EQ(ce.reward, 0.0f);
  // Tolerance checker with a float answer.
  json avg = {
      {"tests",
       {{{"input", "1 2\n"}, {"output", "1.5\n"}}, {{"input", "1 1 1\n"}, {"output", "1.0\n"}}}},
      {"checker", "tolerance"}};
  auto f =
      Run("#include <cstdio>\nint main(){ double s=0,x; int n=0; "
          "while(scanf(\"%lf\",&x)==1){s+=x;++n;} printf(\"%.9f\\n\", s/n); }",
          "cpp", avg);
  EXPECT_EQ(f.correct, true) << f.details.dump();
}

TEST_F(CodeVerifierTest, MalformedMetadataIsAnError) {
  tasks::Task t{"c", "code", "", "", R"({"tests": []})"};
  VerifyInput in;
  in.task = &t;
  in.response = "```python\nprint(1)\n```";
  EXPECT_EQ(verifier_->Verify(in).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rl::rewards::code
