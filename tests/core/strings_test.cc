#include "rl/core/strings.h"

#include <gtest/gtest.h>

namespace rl {
namespace {

TEST(EditDistance, HandComputedCases) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("eps_hihg", "eps_high"), 1);  // transposition counts once
  EXPECT_EQ(EditDistance("flaw", "lawn"), 2);
}

TEST(DidYouMean, SuggestsCloseNamesOnly) {
  std::vector<std::string> c = {"eps_low", "eps_high", "token_mask"};
  EXPECT_EQ(DidYouMean("eps_hgh", c), "eps_high");
  EXPECT_EQ(DidYouMean("tokenmask", c), "token_mask");
  EXPECT_EQ(DidYouMean("learning_rate", c), "");
}

TEST(GlobMatch, StarAndQuestion) {
  EXPECT_TRUE(GlobMatch("train/*", "train/loss"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_FALSE(GlobMatch("train/*", "eval/acc"));
  EXPECT_TRUE(GlobMatch("*/acc*", "eval/accuracy"));
}

TEST(Split, KeepsEmptyParts) {
  EXPECT_EQ(Split("a.b..c", '.'), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(Join({"a", "b"}, ", "), "a, b");
}

}  // namespace
}  // namespace rl
