// Verifier-DoS bounds (SANDBOX_THREATS.md "verifier DoS") and the exact-rational core.
// Pathological answers must be judged incorrect and the call must return; no timing is
// asserted (speed lives in bench/rewards).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "rewards/math/math_verifier.h"
#include "rewards/math/rational.h"

namespace rl::rewards::math {
namespace {

bool Judge(const std::string& ref, const std::string& resp) {
  return JudgeMath(ref, resp, MathOptions{}).correct;
}

TEST(MathBounds, TowerOfExponentsIsIncorrect) {
  EXPECT_FALSE(Judge("5", "\\boxed{9^{9^{9^9}}}"));
  EXPECT_FALSE(Judge("9^{9^{9^9}}+1", "\\boxed{9^{9^{9^9}}}"));
  EXPECT_FALSE(Judge("10^{18}", "\\boxed{10^{10^{10}}}"));
}

TEST(MathBounds, HugeFactorialIsIncorrect) {
  EXPECT_FALSE(Judge("5", "\\boxed{1000000!}"));
  EXPECT_FALSE(Judge("1000000!+1", "\\boxed{1000000!}"));
  EXPECT_FALSE(Judge("1", "\\boxed{(10^{100})!}"));
  EXPECT_FALSE(Judge("5", "\\boxed{5!!!!!!!!}"));
}

TEST(MathBounds, DeepBracesAreIncorrect) {
  std::string nest = "\\boxed{" + std::string(10000, '{') + "5" + std::string(10000, '}') + "}";
  EXPECT_FALSE(Judge("5", nest));
  std::string parens = "The answer is " + std::string(10000, '(') + "5" + std::string(10000, ')');
  EXPECT_FALSE(Judge("5", parens));
  std::string fracs;
  for (int i = 0; i < 3000; ++i) fracs += "\\frac{1}{";
  fracs += "2";
  for (int i = 0; i < 3000; ++i) fracs += "}";
  EXPECT_FALSE(Judge("5", "\\boxed{" + fracs + "}"));
}

TEST(MathBounds, HugeResponsesAreIncorrect) {
  std::string ten_mb(10 << 20, '1');
  MathJudgement j = JudgeMath("5", "\\boxed{" + ten_mb + "}", MathOptions{});
  EXPECT_FALSE(j.correct);
  EXPECT_NE(j.details.value("reason", "").find("larger than"), std::string::npos)
      << j.details.dump();
  // Under the response cap but over the answer cap.
  std::string long_sum;
  for (int i = 0; i < 5000; ++i) long_sum += "1+";
  long_sum += "1";
  EXPECT_FALSE(Judge("5001", "\\boxed{" + long_sum + "}"));
  // Many boxes.
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "\\boxed{" + std::to_string(i) + "}";
  EXPECT_FALSE(Judge("5", many));
}

TEST(MathBounds, BigIntegersCompareExactlyOrFail) {
  EXPECT_TRUE(Judge("1000000000000000000", "\\boxed{1000000000000000000}"));
  EXPECT_FALSE(Judge("1000000000000000000", "\\boxed{1000000000000000001}"));
  // 2^130 overflows 128 bits: judged incorrect even against a close decimal.
  EXPECT_FALSE(Judge("2^{130}", "\\boxed{1361129467683753853853498429727072845824}"));
}

TEST(Rational, ExactArithmeticAgainstHandComputedValues) {
  auto half = *Rational::Make(1, 2), third = *Rational::Make(1, 3);
  EXPECT_EQ(*Add(half, third), *Rational::Make(5, 6));
  EXPECT_EQ(*Sub(half, third), *Rational::Make(1, 6));
  EXPECT_EQ(*Mul(half, third), *Rational::Make(1, 6));
  EXPECT_EQ(*Div(half, third), *Rational::Make(3, 2));
  EXPECT_EQ(*Rational::ParseDecimal("-4.50"), *Rational::Make(-9, 2));
  EXPECT_EQ(*Rational::ParseDecimal("0.125"), *Rational::Make(1, 8));
  EXPECT_FALSE(Rational::ParseDecimal("1e5").has_value());
  EXPECT_EQ(*Pow(*Rational::Make(2, 3), 3), *Rational::Make(8, 27));
  EXPECT_EQ(*Pow(*Rational::Make(2, 3), -2), *Rational::Make(9, 4));
  EXPECT_EQ(*Root(*Rational::Make(4, 9), 2), *Rational::Make(2, 3));
  EXPECT_FALSE(Root(Rational(2), 2).has_value());
  EXPECT_EQ(*Root(Rational(-27), 3), Rational(-3));
  EXPECT_EQ(Pow(Rational(2), 126)->ToString(), "85070591730234615865843651857942052864");
  EXPECT_FALSE(Pow(Rational(2), 127).has_value());  // overflow is reported, never wrapped
  EXPECT_FALSE(Pow(Rational(9), 387420489).has_value());
  EXPECT_EQ(*Pow(Rational(1), 387420489), Rational(1));
  EXPECT_FALSE(Rational::ParseDecimal(std::string(60, '9')).has_value());
  EXPECT_FALSE(Div(half, Rational(0)).has_value());
}

TEST(Extract, FormsAndOrder) {
  ExtractOptions o;
  EXPECT_EQ(ExtractFinalAnswer("so the answer is 3/4.", o).answers.at(0), "3/4");
  EXPECT_EQ(ExtractFinalAnswer("The answer is $x+1$.", o).answers.at(0), "$x+1$");
  EXPECT_EQ(ExtractFinalAnswer("values 3, then 1,234", o).answers.at(0), "1,234");
  EXPECT_EQ(ExtractFinalAnswer("down to -7 degrees", o).answers.at(0), "-7");
  EXPECT_EQ(ExtractFinalAnswer("nothing", o).method, "none");
  EXPECT_EQ(ExtractReference("just 17", o).answers.at(0), "just 17");
  EXPECT_EQ(ExtractReference("steps \\boxed{17}", o).answers.at(0), "17");
}

// A small fuzz loop over LaTeX fragments: every input returns a judgement (a crash or a
// sanitizer report fails the test), and a response identical to the reference's boxed
// answer is never judged worse than the reference against itself.
TEST(MathFuzz, RandomFragmentsNeverCrash) {
  const char* kPieces[] = {
      "\\frac", "{",       "}",        "(",          ")",   "[",       "]",    "\\sqrt",   "^",
      "_",      "!",       "x",        "y",          "1",   "2",       "0",    "9",        ".",
      ",",      "=",       "+",        "-",          "*",   "/",       "\\pi", "\\infty",  "\\cup",
      "\\in",   "\\left(", "\\right)", "\\text{cm}", "\\%", "^\\circ", " ",    "\\boxed{", "|",
      "e",      "\\sin",   "\\ln",     "\\{",        "\\}", "or",      "$"};
  std::mt19937 rng(7);
  int judged_correct = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
    MathJudgement self = JudgeMath(s, s, MathOptions{});
    MathJudgement boxed = JudgeMath(s, "\\boxed{" + s + "}", MathOptions{});
    ASSERT_TRUE(self.details.is_object()) << s;
    ASSERT_TRUE(boxed.details.is_object()) << s;
    judged_correct += self.correct;
  }
  EXPECT_GT(judged_correct, 50);  // the loop is not vacuous: many fragments are readable
}

}  // namespace
}  // namespace rl::rewards::math
