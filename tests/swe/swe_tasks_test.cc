// The `swe` task kind's prompt rendering and task loading (rewards/swe_verifier.h) against
// hand-derived expectations on the shipped textkit repository.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "rewards/swe_verifier.h"
#include "rl/config/config.h"
#include "sandbox/swe/instance.h"

namespace rl::rewards {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";

swe::Instance Textkit1(const std::string& statement = "", std::vector<std::string> relevant = {}) {
  auto insts = swe::ReadInstances(kDir + "/instances.jsonl");
  EXPECT_TRUE(insts.ok()) << insts.status();
  for (auto& i : *insts) {
    if (i.instance_id != "textkit-1") continue;
    if (!statement.empty()) i.problem_statement = statement;
    i.relevant_files = std::move(relevant);
    return i;
  }
  ADD_FAILURE() << "textkit-1 missing";
  return {};
}

TEST(SweTasks, FileRuleSkipsTestPatchProtectedAndHiddenFiles) {
  // textkit: run_tests.py is protected, tests/test_core.py is in the test patch.
  swe::Instance inst = Textkit1();
  EXPECT_EQ(
      SwePromptFiles(inst),
      (std::vector<std::string>{"tests/__init__.py", "textkit/__init__.py", "textkit/core.py"}));
  // A file named in the issue comes first.
  inst = Textkit1("The bug is in core.py, see slugify.");
  EXPECT_EQ(SwePromptFiles(inst), (std::vector<std::string>{"textkit/core.py", "tests/__init__.py",
                                                            "textkit/__init__.py"}));
  // An explicit list wins.
  inst = Textkit1("", {"textkit/core.py", "run_tests.py"});
  EXPECT_EQ(SwePromptFiles(inst), (std::vector<std::string>{"run_tests.py", "textkit/core.py"}));
}

TEST(SweTasks, PlaceholdersAndSizeCap) {
  swe::Instance inst = Textkit1("Fix {files} please");
  const std::string core = inst.repo + "/textkit/core.py";
  const auto core_bytes = fs::file_size(core);
  const auto init_bytes = fs::file_size(inst.repo + "/textkit/__init__.py");
  auto p = RenderSwePrompt(inst, "{instance_id}|{problem_statement}|{file_list}|{other}", 0);
  ASSERT_TRUE(p.ok()) << p.status();
  // The statement's own "{files}" is not substituted again; unknown braces stay.
  EXPECT_EQ(*p,
            "textkit-1|Fix {files} please|tests/__init__.py\ntextkit/__init__.py\n"
            "textkit/core.py\n|{other}");
  // Cap between the small files and core.py: core.py is listed by name only.
  p = RenderSwePrompt(inst, "[{files}]", static_cast<int64_t>(init_bytes + 10));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NE(p->find("=== textkit/__init__.py ===\n"), std::string::npos) << *p;
  EXPECT_NE(p->find("=== textkit/core.py (" + std::to_string(core_bytes) + " bytes, omitted) ==="),
            std::string::npos)
      << *p;
  EXPECT_EQ(p->find("def slugify"), std::string::npos);
  // A cap large enough shows every file whole.
  p = RenderSwePrompt(inst, "{files}", 1 << 20);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->find("=== textkit/core.py ===\n"), std::string::npos);
  EXPECT_NE(p->find("def slugify"), std::string::npos);
  EXPECT_EQ(p->find("omitted"), std::string::npos);
  // A relevant file that does not exist is an error naming the instance.
  inst.relevant_files = {"no/such.py"};
  p = RenderSwePrompt(inst, "{files}", 100);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("textkit-1: relevant_files:"), std::string::npos);
}

TEST(SweTasks, LoadSweTasksFromASource) {
  config::TaskSourceSection src;
  src.name = "repo";
  src.kind = "swe";
  src.path = kDir + "/instances.jsonl";
  src.limit = 3;
  auto tasks = LoadSweTasks(src);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->size(), 3u);
  auto insts = swe::ReadInstances(src.path);
  ASSERT_TRUE(insts.ok());
  for (size_t i = 0; i < 3; ++i) {
    const auto& t = (*tasks)[i];
    EXPECT_EQ(t.id, (*insts)[i].instance_id);
    EXPECT_EQ(t.kind, "swe");
    EXPECT_EQ(t.answer, "");
    EXPECT_NE(t.prompt.find((*insts)[i].problem_statement), std::string::npos);
    EXPECT_EQ(t.prompt.rfind("You are given a repository and an issue.", 0), 0u);  // default
    auto m = nlohmann::json::parse(t.metadata);
    EXPECT_EQ(m["instance_id"], t.id);
    EXPECT_TRUE(fs::path(m["instances_file"].get<std::string>()).is_absolute());
  }
  src.prompt_template = "Fix it: {files}";
  auto bad = LoadSweTasks(src);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tasks.sources (repo): prompt_template has no "
                                        "{problem_statement}"),
            std::string::npos)
      << bad.status();
  src.prompt_template = "";
  src.path = kDir + "/missing.jsonl";
  EXPECT_FALSE(LoadSweTasks(src).ok());
  // The schema: a swe source needs a path.
  auto cfg = config::LoadConfigFromString(
      "tasks:\n  sources:\n    - {name: r, kind: swe, generator: arithmetic}\n", "t.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("swe source reads an SWE instances JSONL"),
            std::string::npos)
      << cfg.status();
}

}  // namespace
}  // namespace rl::rewards
