// Table-driven cases of the math verifier, written from the rules in
// rewards/math/equivalence.h and extract.h (not from the implementation's output): each row
// is (reference, response, must_match). About half the rows must NOT match.
#include <gtest/gtest.h>

#include "rewards/math/math_verifier.h"

namespace rl::rewards::math {
namespace {

struct Case {
  const char* reference;
  const char* response;
  bool match;
};

// Answers that must be judged equivalent.
const Case kMatch[] = {
    // Extraction forms.
    {"5", "The answer is \\boxed{5}.", true},
    {"5", "so \\boxed 5 is it", true},
    {"5", "\\fbox{5}", true},
    {"5", "Therefore, the answer is 5.", true},
    {"5", "Final answer: 5", true},
    {"42", "Natalia sold 48/2 = 24 clips in May.\n#### 42", true},
    {"7", "We add 3 and 4 to get 7", true},  // last number fallback
    {"\\frac{1}{2}", "\\boxed{\\frac{1}{2}}", true},
    {"\\frac{1}{2}", "<think>maybe \\boxed{3}</think> the result is \\boxed{1/2}", true},
    {"x^2+1", "\\boxed{{x^2}+1}", true},
    {"\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt{3}}{2}}", true},
    // Reference given as a worked solution.
    {"We compute 2+2 and get \\boxed{4}.", "\\boxed{4}", true},
    {"Step 1 ... so the answer is 12.", "\\boxed{12}", true},
    {"Add them.\n#### 18", "The total is \\boxed{18}", true},
    // Fractions and rationals.
    {"\\frac{1}{2}", "\\boxed{0.5}", true},
    {"0.5", "\\boxed{\\frac12}", true},
    {"\\frac{1}{2}", "\\boxed{\\dfrac{1}{2}}", true},
    {"\\frac{1}{2}", "\\boxed{\\tfrac{1}{2}}", true},
    {"\\frac{2}{4}", "\\boxed{1/2}", true},
    {"\\frac{3}{4}", "\\boxed{0.75}", true},
    {"-\\frac{1}{3}", "\\boxed{\\frac{-1}{3}}", true},
    {"-\\frac{1}{3}", "\\boxed{-1/3}", true},
    {"\\frac{7}{2}", "\\boxed{3.5}", true},
    {"\\frac{7}{2}", "\\boxed{3\\frac{1}{2}}", false},  // mixed numbers read as 3·(1/2)
    {"1.5", "\\boxed{\\frac{3}{2}}", true},
    {"\\frac{10}{5}", "\\boxed{2}", true},
    // Decimals with tolerance.
    {"\\frac{1}{3}", "\\boxed{0.33333}", true},
    {"0.33333", "\\boxed{\\frac{1}{3}}", true},
    {"3.14159", "\\boxed{\\pi}", true},
    {"\\pi", "\\boxed{3.14159}", true},
    {"\\sqrt{2}", "\\boxed{1.41421}", true},
    {"2.71828", "\\boxed{2.718281}", true},
    // Trailing .0 and integers.
    {"5", "\\boxed{5.0}", true},
    {"5", "\\boxed{5.00}", true},
    {"100", "\\boxed{100.0}", true},
    {"-3", "\\boxed{-3}", true},
    {"0", "\\boxed{-0}", true},
    {"1000000000000000000", "\\boxed{10^{18}}", true},
    {"1000000000000000001", "\\boxed{10^{18}+1}", true},
    {"85070591730234615865843651857942052864", "\\boxed{2^{126}}", true},
    // Thousands separators.
    {"1000000", "\\boxed{1,000,000}", true},
    {"1234", "\\boxed{1{,}234}", true},
    {"1234567.5", "\\boxed{1,234,567.5}", true},
    {"12345", "\\boxed{12\\,345}", true},
    // Units, percent, degrees, dollars.
    {"5", "\\boxed{5\\text{ cm}}", true},
    {"5", "\\boxed{5 \\text{cm}^2}", false},  // cm^2 leaves a stray ^2: 5^2
    {"10", "\\boxed{10 \\mbox{ dollars}}", true},
    {"30", "\\boxed{30^\\circ}", true},
    {"30", "\\boxed{30^{\\circ}}", true},
    {"30", "\\boxed{30\\degree}", true},
    {"30", "30\xc2\xb0", true},
    {"50", "\\boxed{50\\%}", true},
    {"50\\%", "\\boxed{50}", true},
    {"12", "\\boxed{\\$12}", true},
    {"12.50", "\\boxed{\\$12.5}", true},
    {"7", "\\boxed{7 apples}", true},
    // LaTeX operators and wrappers.
    {"6", "\\boxed{2 \\cdot 3}", true},
    {"6", "\\boxed{2\\times 3}", true},
    {"3", "\\boxed{6 \\div 2}", true},
    {"\\left(1,2\\right)", "\\boxed{(1,2)}", true},
    {"(1,2)", "\\boxed{\\left( 1, 2 \\right)}", true},
    {"4", "$\\boxed{4}$", true},
    {"4", "\\boxed{\\displaystyle 4}", true},
    {"8", "\\boxed{2^3}", true},
    {"8", "\\boxed{2^{3}}", true},
    {"1024", "\\boxed{2^{10}}", true},
    {"\\frac{1}{8}", "\\boxed{2^{-3}}", true},
    {"3", "\\boxed{\\sqrt{9}}", true},
    {"2", "\\boxed{\\sqrt[3]{8}}", true},
    {"2\\sqrt{2}", "\\boxed{\\sqrt{8}}", true},
    {"\\sqrt{8}", "\\boxed{2\\sqrt2}", true},
    {"\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt{2}}}", true},
    {"2\\pi", "\\boxed{2 \\pi}", true},
    {"\\frac{\\pi}{2}", "\\boxed{\\pi/2}", true},
    {"120", "\\boxed{5!}", true},
    {"4", "\\boxed{|-4|}", true},
    {"\\infty", "\\boxed{\\infty}", true},
    // Unicode spellings.
    {"-5",
     "\\boxed{\xe2\x88\x92"
     "5}",
     true},
    {"2\\pi", "\\boxed{2\xcf\x80}", true},
    // Symbolic expressions.
    {"x^2+2x+1", "\\boxed{(x+1)^2}", true},
    {"(x+1)(x-1)", "\\boxed{x^2-1}", true},
    {"\\frac{x}{2}", "\\boxed{0.5x}", true},
    {"2x+3y", "\\boxed{3y+2x}", true},
    {"\\frac{1}{x}+\\frac{1}{y}", "\\boxed{\\frac{x+y}{xy}}", true},
    {"\\sin^2 x", "\\boxed{1-\\cos^2 x}", false},  // \sin^2 x does not parse: compared as text
    {"e^{2x}", "\\boxed{(e^x)^2}", true},
    {"\\sqrt{x^2}", "\\boxed{x}", true},  // sampled on positive points
    {"a b", "\\boxed{ba}", true},
    {"2^{n+1}", "\\boxed{2 \\cdot 2^n}", true},
    // Equations.
    {"x=5", "\\boxed{5}", true},
    {"5", "\\boxed{x = 5}", true},
    {"y=2x+1", "\\boxed{y = 1 + 2x}", true},
    {"y=2x+1", "\\boxed{2x - y + 1 = 0}", true},
    {"x+y=1", "\\boxed{2x+2y=2}", true},
    // Tuples, sets, intervals.
    {"(1,2)", "\\boxed{(1, 2)}", true},
    {"(1,\\frac{1}{2})", "\\boxed{(1, 0.5)}", true},
    {"\\{1,2,3\\}", "\\boxed{\\{3,1,2\\}}", true},
    {"1,2", "\\boxed{2, 1}", true},
    {"1, 2", "\\boxed{1}, \\boxed{2}", true},
    {"\\{-1, 1\\}", "\\boxed{1} and \\boxed{-1}", true},
    {"[1,2)", "\\boxed{[1, 2)}", true},
    {"(-\\infty, 3]", "\\boxed{(-\\infty,3]}", true},
    {"(-\\infty,0)\\cup(1,\\infty)", "\\boxed{(1,\\infty)\\cup(-\\infty,0)}", true},
    {"x \\in [0,1]", "\\boxed{[0,1]}", true},
    {"1, 2", "\\boxed{1 \\text{ or } 2}", true},
    {"\\{(1,2),(3,4)\\}", "\\boxed{\\{(3,4),(1,2)\\}}", true},
    // Same answer boxed twice is not a hedge.
    {"4", "\\boxed{4} ... so again \\boxed{4}", true},
    {"\\frac{1}{2}", "\\boxed{1/2} which is \\boxed{0.5}", true},
    // Text answers.
    {"B", "\\boxed{B}", true},
    {"(C)", "\\boxed{C}", true},
    {"\\text{Yes}", "\\boxed{yes}", true},
};

// Answers that must NOT be judged equivalent.
const Case kNoMatch[] = {
    {"5", "\\boxed{6}", false},
    {"5", "\\boxed{-5}", false},
    {"5", "The answer is 6.", false},
    {"5", "no answer here", false},
    {"5", "", false},
    {"\\frac{1}{2}", "\\boxed{\\frac{1}{3}}", false},
    {"\\frac{1}{2}", "\\boxed{2}", false},
    {"\\frac{1}{3}", "\\boxed{0.33}", false},
    {"\\frac{1}{3}", "\\boxed{0.3}", false},
    {"\\pi", "\\boxed{3.14}", false},
    {"\\pi", "\\boxed{22/7}", false},
    {"\\sqrt{2}", "\\boxed{1.41}", false},
    {"\\sqrt{2}", "\\boxed{2}", false},
    {"1000000000000000000", "\\boxed{1000000000000000001}", false},
    {"1000000000000000001", "\\boxed{10^{18}}", false},
    {"85070591730234615865843651857942052864", "\\boxed{2^{126}+1}", false},
    {"85070591730234615865843651857942052864", "\\boxed{2^{127}}", false},
    {"100000000000000000000000000000000000000000",
     "\\boxed{100000000000000000000000000000000000000001}", false},
    {"2^{200}", "\\boxed{2^{200}+1}", false},
    {"10^{50}", "\\boxed{1.0e50}", false},
    {"1000", "\\boxed{1,000,001}", false},
    {"1,2", "\\boxed{12}", false},
    {"(1,234)", "\\boxed{1234}", false},
    {"5", "\\boxed{5} or \\boxed{6}", false},
    {"5", "\\boxed{5}, \\boxed{6}, \\boxed{7}", false},
    {"1", "\\boxed{1 \\text{ or } 2}", false},
    {"1", "the answer is 1 or 2", false},
    {"2", "\\boxed{1, 2}", false},
    {"2", "\\boxed{\\{1,2\\}}", false},
    {"(1,2)", "\\boxed{(2,1)}", false},
    {"(1,2)", "\\boxed{[1,2]}", false},
    {"[1,2)", "\\boxed{[1,2]}", false},
    {"[1,2)", "\\boxed{(1,2]}", false},
    {"(1,2)", "\\boxed{(1,2,3)}", false},
    {"\\{1,2,3\\}", "\\boxed{\\{1,2\\}}", false},
    {"\\{1,2\\}", "\\boxed{\\{1,2,3\\}}", false},
    {"\\{1,2\\}", "\\boxed{\\{1,1\\}}", false},
    {"1,2", "\\boxed{1}", false},
    {"1,2", "\\boxed{(1,2)}", false},
    {"(-\\infty, 3]", "\\boxed{(-\\infty,3)}", false},
    {"(-\\infty, 3]", "\\boxed{(\\infty,3]}", false},
    {"(-\\infty,0)\\cup(1,\\infty)", "\\boxed{(-\\infty,0)}", false},
    {"(-\\infty,0)\\cup(1,\\infty)", "\\boxed{(-\\infty,0]\\cup(1,\\infty)}", false},
    {"\\infty", "\\boxed{-\\infty}", false},
    {"\\infty", "\\boxed{10^{1000}}", false},
    {"x^2+2x+1", "\\boxed{x^2+1}", false},
    {"(x+1)(x-1)", "\\boxed{x^2+1}", false},
    {"2x+3y", "\\boxed{3x+2y}", false},
    {"x", "\\boxed{y}", false},
    {"x^2", "\\boxed{2x}", false},
    {"\\frac{x}{2}", "\\boxed{\\frac{2}{x}}", false},
    {"e^{2x}", "\\boxed{e^{x}}", false},
    {"\\sin x", "\\boxed{\\cos x}", false},
    {"2^{n+1}", "\\boxed{2^n}", false},
    {"x=5", "\\boxed{x=6}", false},
    {"x=5", "\\boxed{6}", false},
    {"y=2x+1", "\\boxed{y=2x-1}", false},
    {"y=2x+1", "\\boxed{y=x+1}", false},
    {"x+y=1", "\\boxed{x-y=1}", false},
    {"30", "\\boxed{30.5^\\circ}", false},
    {"50\\%", "\\boxed{0.5}", false},
    {"50", "\\boxed{5\\%}", false},
    {"12", "\\boxed{\\$13}", false},
    {"5", "\\boxed{5 \\cdot 2}", false},
    {"6", "\\boxed{2 \\times 4}", false},
    {"3", "\\boxed{\\sqrt{10}}", false},
    {"2", "\\boxed{\\sqrt[3]{9}}", false},
    {"120", "\\boxed{6!}", false},
    {"4", "\\boxed{|-5|}", false},
    {"2\\pi", "\\boxed{\\pi}", false},
    {"\\frac{\\pi}{2}", "\\boxed{\\frac{\\pi}{3}}", false},
    {"B", "\\boxed{C}", false},
    {"B", "\\boxed{B} or \\boxed{C}", false},
    {"\\text{Yes}", "\\boxed{no}", false},
    // The answer must come from the final answer, not from a number in the thinking.
    {"5", "<think>the answer is \\boxed{5}</think> I think it is \\boxed{4}", false},
    {"5", "<think>5</think>", false},
    // A reference solution's final answer is what counts, not its intermediate numbers.
    {"First 2+3=5, then doubled: \\boxed{10}", "\\boxed{5}", false},
    {"We get 7 then 8, so the answer is 9.", "\\boxed{7}", false},
    {"Add them.\n#### 18", "\\boxed{17}", false},
    // Hedged sets against a single value, and sets of the wrong size.
    {"7", "\\boxed{7}\\boxed{8}", false},
    {"\\frac{1}{2}", "\\boxed{1/2} \\boxed{1/3}", false},
    {"(1,2)", "\\boxed{(1,2)} or maybe \\boxed{(2,1)}", false},
    {"1,2", "\\boxed{1}, \\boxed{2}, \\boxed{3}", false},
    // Garbage and malformed answers.
    {"5", "\\boxed{}", false},
    {"5", "\\boxed{5", true},  // unclosed box: the last-number fallback reads 5
    {"5", "\\boxed{5+}", false},
    {"5", "\\boxed{\\frac{5}}", false},
    {"5", "\\boxed{\\unknowncommand{5}}", false},
    {"5", "\\boxed{5/0}", false},
    {"0", "\\boxed{0/0}", false},
    {"1", "\\boxed{0^0}", true},  // 0^0 = 1 by the exact-power convention
    {"5", "\\boxed{a}", false},
    {"5", "\\boxed{x=y}", false},
    {"x", "\\boxed{x+0.001}", false},
    {"10", "\\boxed{10.01}", false},
    {"0.1", "\\boxed{0.11}", false},
    {"0", "\\boxed{0.001}", false},
    {"-1", "\\boxed{1}", false},
    {"\\frac{-1}{2}", "\\boxed{\\frac{1}{2}}", false},
    {"3", "\\boxed{3x}", false},
    {"3x", "\\boxed{3}", false},
    {"1", "\\boxed{\\sin^2 x + \\cos^2 x}", false},
    {"\\ln 2", "\\boxed{\\log 3}", false},
    {"2", "\\boxed{\\frac{4}{3}}", false},
    {"1/2", "\\boxed{1/2/2}", false},
    {"(1,2)", "\\boxed{1,2}", false},
    {"5", "I am not sure", false},
};

MathOptions Defaults() { return MathOptions{}; }

class MatchCases : public testing::TestWithParam<Case> {};
class NoMatchCases : public testing::TestWithParam<Case> {};

TEST_P(MatchCases, Judged) {
  const Case& c = GetParam();
  MathJudgement j = JudgeMath(c.reference, c.response, Defaults());
  EXPECT_EQ(j.correct, c.match) << "reference: " << c.reference << "\nresponse: " << c.response
                                << "\ndetails: " << j.details.dump();
}
TEST_P(NoMatchCases, Judged) {
  const Case& c = GetParam();
  MathJudgement j = JudgeMath(c.reference, c.response, Defaults());
  EXPECT_EQ(j.correct, c.match) << "reference: " << c.reference << "\nresponse: " << c.response
                                << "\ndetails: " << j.details.dump();
}

INSTANTIATE_TEST_SUITE_P(Math, MatchCases, testing::ValuesIn(kMatch));
INSTANTIATE_TEST_SUITE_P(Math, NoMatchCases, testing::ValuesIn(kNoMatch));

TEST(MathCases, TableSizes) {
  size_t n_match = 0, n_no = 0;
  for (const auto& c : kMatch) (c.match ? n_match : n_no)++;
  for (const auto& c : kNoMatch) (c.match ? n_match : n_no)++;
  EXPECT_GE(n_match + n_no, 200u);
  EXPECT_GE(n_no * 2, n_match + n_no - 20) << "about half the cases must be non-matches";
}

TEST(MathCases, LastNumberFallbackIsConfigurable) {
  MathOptions o;
  o.extract.last_number_fallback = false;
  EXPECT_FALSE(JudgeMath("7", "We add 3 and 4 to get 7", o).correct);
  EXPECT_TRUE(JudgeMath("7", "We add 3 and 4 to get 7", MathOptions{}).correct);
}

TEST(MathCases, NestedBoxedBraces) {
  auto v = ExtractBoxed("a \\boxed{\\frac{a}{\\sqrt{b^{2}}}} b \\boxed{x}", ExtractOptions{});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "\\frac{a}{\\sqrt{b^{2}}}");
  EXPECT_EQ(v[1], "x");
}

}  // namespace
}  // namespace rl::rewards::math
