#include "rl/tasks/task.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace rl::tasks {
namespace {

TEST(Task, ParsesAFullRecord) {
  auto t = ParseTaskLine(
      R"({"id":"a1","kind":"math","prompt":"1+1?","answer":"2","metadata":{"level":3}})", "f", 1);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->id, "a1");
  EXPECT_EQ(t->kind, "math");
  EXPECT_EQ(t->answer, "2");
  EXPECT_EQ(t->metadata, R"({"level":3})");
}

TEST(Task, NumericAnswerAndMissingOptionalFields) {
  auto t = ParseTaskLine(R"({"id":"x","kind":"math","prompt":"p","answer":42})", "f", 1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->answer, "42");
  EXPECT_EQ(t->metadata, "{}");
}

TEST(Task, ErrorsNameFileLineAndField) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {R"({"kind":"math","prompt":"p"})", "tasks.jsonl:7: missing field 'id'"},
      {R"({"id":"a","kind":"math","prompt":3})", "field 'prompt' must be a string"},
      {R"({"id":"a","kind":"math","prompt":"p","metadata":[1]})", "'metadata' must be an object"},
      {R"({"id":"a","kind":"math","prompt":"p","extra":1})", "unknown field 'extra'"},
      {R"({"id":"a",)", "tasks.jsonl:7: invalid JSON"},
      {R"([1,2])", "must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto t = ParseTaskLine(c.line, "tasks.jsonl", 7);
    ASSERT_FALSE(t.ok()) << c.line;
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos) << t.status().message();
  }
}

TEST(Task, FileRoundTripAndDuplicateIds) {
  std::string path = testing::TempDir() + "/tasks_roundtrip.jsonl";
  std::vector<Task> tasks = {{"1", "math", "p1", "a1", "{}"},
                             {"2", "logic", "p\n2 \"quoted\"", "", R"({"k":[1,2]})"}};
  ASSERT_TRUE(WriteTasksJsonl(path, tasks).ok());
  auto back = ReadTasksJsonl(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].prompt, "p\n2 \"quoted\"");
  EXPECT_EQ((*back)[1].metadata, R"({"k":[1,2]})");
  std::ofstream(path, std::ios::app) << R"({"id":"1","kind":"math","prompt":"dup"})" << "\n";
  auto dup = ReadTasksJsonl(path);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find(":3: duplicate task id '1'"), std::string::npos)
      << dup.status().message();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace rl::tasks
