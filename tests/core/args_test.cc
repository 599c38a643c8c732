#include "rl/core/args.h"

#include <gtest/gtest.h>

namespace rl {
namespace {

ArgParser MakeParser() {
  ArgParser p("rl test", "a test command");
  p.Positional("FILE", "input");
  p.Option("limit", "K", "how many", "20");
  p.RepeatedOption("set", "K=V", "override");
  p.Flag("resume", "resume");
  return p;
}

TEST(ArgParser, BothValueForms) {
  ArgParser p = MakeParser();
  ASSERT_TRUE(p.Parse({"f.yaml", "--limit=5", "--set", "a=1", "--set=b=2", "--resume"}).ok());
  EXPECT_EQ(p.positional("FILE"), "f.yaml");
  EXPECT_EQ(*p.GetInt("limit"), 5);
  EXPECT_EQ(p.GetAll("set"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_TRUE(p.GetFlag("resume"));
}

TEST(ArgParser, DefaultsAndHelp) {
  ArgParser p = MakeParser();
  ASSERT_TRUE(p.Parse({"x"}).ok());
  EXPECT_EQ(p.Get("limit"), "20");
  EXPECT_FALSE(p.GetFlag("resume"));
  ArgParser h = MakeParser();
  ASSERT_TRUE(h.Parse({"--help"}).ok());
  EXPECT_TRUE(h.help_requested());
  EXPECT_NE(h.Help().find("--limit <K>"), std::string::npos);
}

TEST(ArgParser, Errors) {
  ArgParser p = MakeParser();
  Status st = p.Parse({"x", "--limt", "3"});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("did you mean --limit"), std::string::npos) << st.message();
  ArgParser q = MakeParser();
  EXPECT_NE(q.Parse({}).message().find("missing FILE"), std::string::npos);
  ArgParser r = MakeParser();
  EXPECT_NE(r.Parse({"x", "--limit"}).message().find("needs a value"), std::string::npos);
  ArgParser s = MakeParser();
  ASSERT_TRUE(s.Parse({"x", "--limit", "abc"}).ok());
  EXPECT_FALSE(s.GetInt("limit").ok());
}

TEST(ArgParser, RestAfterDoubleDash) {
  ArgParser p("rl sandbox run", "run");
  p.Option("time", "S", "cpu seconds", "1");
  p.Rest("CMD", "command");
  ASSERT_TRUE(p.Parse({"--time", "2", "--", "python3", "-c", "print(1)"}).ok());
  EXPECT_EQ(p.rest(), (std::vector<std::string>{"python3", "-c", "print(1)"}));
}

}  // namespace
}  // namespace rl
