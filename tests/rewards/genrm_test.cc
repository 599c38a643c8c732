// GenRM: template filling, the verdict-parsing table, the verifier through the pool with a
// scripted judge, and end to end with a tiny random checkpoint served by the rollout engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

#include "rewards/genrm/genrm_verifier.h"
#include "rewards/genrm/verdict.h"
#include "rewards/pipeline.h"
#include "rewards/verifier_pool.h"
#include "rl/model/checkpoint.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl::rewards::genrm {
namespace {

// ---------------------------------------------------------------- templates

TEST(GenRMTemplate, FillsPlaceholdersOnceAndLeavesOtherBraces) {
  auto s = FillTemplate("Q: {prompt}\nR: {response} {\"json\": 1} \\frac{a}{b} {Score}",
                        {{"prompt", "2+2?"},
                         {"response", "it is {reference}"},
                         {"reference", "4"},
                         {"a", "X"},
                         {"b", "Y"}});
  ASSERT_TRUE(s.ok()) << s.status();
  // {reference} inside the response is not expanded; {a}/{b} are placeholders with values;
  // {Score} (uppercase) and JSON braces are not placeholders.
  EXPECT_EQ(*s, "Q: 2+2?\nR: it is {reference} {\"json\": 1} \\fracXY {Score}");
}

TEST(GenRMTemplate, UnknownPlaceholderIsAnError) {
  auto s = FillTemplate("{prompt} {respnse}", {{"prompt", "p"}}, "rewards.genrm.grade_template");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("rewards.genrm.grade_template"), std::string::npos);
  EXPECT_NE(s.status().message().find("{respnse}"), std::string::npos);
}

TEST(GenRMTemplate, CheckTemplateNamesUnknownAndMissing) {
  const std::vector<std::string> known = {"prompt", "reference", "response"};
  EXPECT_TRUE(CheckTemplate("{prompt}{response}", known, {"response"}, "t").ok());
  auto unknown = CheckTemplate("{prompt}{answer}{response}", known, {"response"}, "t");
  EXPECT_NE(unknown.message().find("{answer}"), std::string::npos) << unknown;
  auto missing = CheckTemplate("{prompt}", known, {"response"}, "t");
  EXPECT_NE(missing.message().find("missing placeholder {response}"), std::string::npos);
  EXPECT_TRUE(CheckTemplate(kDefaultGradeTemplate, known, {"response", "reference"}, "g").ok());
  EXPECT_TRUE(CheckTemplate(kDefaultPairwiseTemplate, known, {"response", "reference"}, "p").ok());
}

// ---------------------------------------------------------------- verdict table

struct Case {
  const char* text;
  int expected;  // kReject = must be rejected
};
constexpr int kReject = 99;

const Case kGradeCases[] = {
    {"Score: 4", 4},
    {"score:4", 4},
    {"SCORE : 5", 5},
    {"**Score:** 3", 3},
    {"The answer matches the reference.\nScore: 5", 5},
    {"Earlier I thought 2/5.\nScore: 4", 4},  // the strict final line wins
    {"[[4]]", 4},
    {"My verdict is [[2]].", 2},
    {"4/5", 4},
    {"I would give it 3 / 5.", 3},
    {"The rating is 4 out of 5", 4},
    {"rating: 2", 2},
    {"Final grade: 1", 1},
    {"<score>3</score>", 3},
    {"<SCORE> 5 </SCORE>", 5},
    {"3", 3},
    {"  5.  ", 5},
    {"Score: 4\n", 4},
    {"Good answer. Score: 4. [[4]]", 4},  // several forms that agree
    {"</think>Score: 2", 2},              // parsing runs on the text it is given
    // must reject
    {"4 or 5", kReject},
    {"somewhere between 3 and 4", kReject},
    {"10", kReject},
    {"", kReject},
    {"   \n  ", kReject},
    {"Score: 4 ... actually [[2]]", kReject},  // conflicting
    {"[[3]] [[5]]", kReject},
    {"Score: 0", kReject},
    {"Score: 6", kReject},
    {"Score: 3-4", kReject},
    {"Score: 4 or 5", kReject},
    {"Score: 3.5", kReject},
    {"7/5", kReject},
    {"The response is pretty good.", kReject},
    {"-1", kReject},
    {"Score: 4 to 5", kReject},
    {"Score: \xE2\x88\x92"
     "2",
     kReject},  // unicode minus → -2, out of range
};

const Case kPairwiseCases[] = {
    {"Verdict: +1", 1},
    {"Verdict: -1", -1},
    {"Verdict: 0", 0},
    {"verdict:1", 1},
    {"Verdict: \xE2\x88\x92"
     "1",
     -1},  // unicode minus
    {"A is clearly more accurate.\nVerdict: +1", 1},
    {"[[+1]]", 1},
    {"[[-1]]", -1},
    {"[[0]]", 0},
    {"-1", -1},
    {"+1", 1},
    {"0", 0},
    {"1", 1},
    {"Verdict: better", 1},
    {"Verdict: worse", -1},
    {"Verdict: tie", 0},
    {"Response A is better.", 1},
    {"B is better", -1},
    {"[[tie]]", 0},
    {"I think B is better at first, but on reflection...\nVerdict: +1", 1},
    // must reject
    {"", kReject},
    {"2", kReject},
    {"Verdict: +2", kReject},
    {"Verdict: -1 or 0", kReject},
    {"Verdict: 0.5", kReject},
    {"A is better. [[-1]]", kReject},  // conflicting
    {"They are both fine.", kReject},
    {"[[+1]] [[0]]", kReject},
    {"Score: 4", kReject},
};

TEST(GenRMVerdict, GradeTable) {
  int rejects = 0;
  for (const Case& c : kGradeCases) {
    auto v = ParseGradeVerdict(c.text);
    if (c.expected == kReject) {
      ++rejects;
      EXPECT_FALSE(v.ok()) << "accepted \"" << c.text << "\" as " << *v;
    } else {
      ASSERT_TRUE(v.ok()) << "\"" << c.text << "\": " << v.status();
      EXPECT_EQ(*v, c.expected) << c.text;
    }
  }
  EXPECT_GE(std::size(kGradeCases), 30u);
  EXPECT_GE(rejects, 15);
}

TEST(GenRMVerdict, PairwiseTable) {
  for (const Case& c : kPairwiseCases) {
    auto v = ParsePairwiseVerdict(c.text);
    if (c.expected == kReject) {
      EXPECT_FALSE(v.ok()) << "accepted \"" << c.text << "\" as " << *v;
    } else {
      ASSERT_TRUE(v.ok()) << "\"" << c.text << "\": " << v.status();
      EXPECT_EQ(*v, c.expected) << c.text;
    }
  }
}

TEST(GenRMVerdict, ErrorsSayWhyAndQuoteTheText) {
  auto hedged = ParseGradeVerdict("Score: 4 or 5");
  EXPECT_NE(hedged.status().message().find("hedged"), std::string::npos) << hedged.status();
  auto conflict = ParseGradeVerdict("[[3]] and later [[5]]");
  EXPECT_NE(conflict.status().message().find("conflicting scores {3, 5}"), std::string::npos)
      << conflict.status();
  auto none = ParseGradeVerdict("looks fine to me");
  EXPECT_NE(none.status().message().find("\"looks fine to me\""), std::string::npos);
  EXPECT_NE(none.status().message().find("no score found"), std::string::npos);
  auto range = ParseGradeVerdict("10");
  EXPECT_NE(range.status().message().find("out of range"), std::string::npos);
}

TEST(GenRMVerdict, GradeToRewardIsLinear) {
  for (int g = 1; g <= 5; ++g) EXPECT_FLOAT_EQ(GradeToReward(g), (g - 1) * 0.25f);
}

}  // namespace
}  // namespace rl::rewards::genrm
