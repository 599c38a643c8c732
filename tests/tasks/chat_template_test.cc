#include "rl/tasks/chat_template.h"

#include <gtest/gtest.h>

namespace rl::tasks {
namespace {

TEST(ChatTemplate, ExactPromptText) {
  EXPECT_EQ(ApplyChatTemplate("2+2?"),
            "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n");
}

TEST(ChatTemplate, FormattedResponsesFollowTheFormat) {
  std::string r = FormatResponse("2 plus 2 is 4", "\\boxed{4}");
  EXPECT_EQ(r, "2 plus 2 is 4\n</think>\n\\boxed{4}<|im_end|>");
  EXPECT_TRUE(FollowsResponseFormat(r));
}

TEST(ChatTemplate, FormatViolations) {
  EXPECT_FALSE(FollowsResponseFormat("no think close \\boxed{4}"));
  EXPECT_FALSE(FollowsResponseFormat("x </think>   <|im_end|>"));          // empty answer
  EXPECT_FALSE(FollowsResponseFormat("x </think> a </think> b"));          // two closes
  EXPECT_FALSE(FollowsResponseFormat("<think> x </think> a"));             // reopened
  EXPECT_FALSE(FollowsResponseFormat("x </think> a<|im_end|> trailing"));  // after the end
  EXPECT_TRUE(FollowsResponseFormat("x </think> a"));                      // cut before eos
}

}  // namespace
}  // namespace rl::tasks
