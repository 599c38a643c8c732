// Repository forms of an instance (sandbox/swe/repo_source.h): a tarball and a git bundle
// built here from the shipped kv repository score its gold patch 1, exactly like the
// directory form; the bundle is checked out at base_commit (a later commit holding the fix is
// not what the tests see, and no .git reaches the tree); bad forms are clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/sandbox.h"
#include "sandbox/swe/instance.h"
#include "sandbox/swe/repo_source.h"
#include "sandbox/swe/runner.h"

namespace rl::swe {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(RL_SOURCE_DIR) + "/data/swe";

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen(("set -e; " + cmd).c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int rc = pclose(f);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class SweRepoSource : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = (fs::temp_directory_path() / ("swe_repo_source_" + std::to_string(getpid()))).string();
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
    setenv("RL_SWE_CACHE", (tmp_ + "/cache").c_str(), 1);
    std::ifstream in(kDir + "/instances.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j["instance_id"] == "kv-1") line_ = j;
    }
    ASSERT_FALSE(line_.is_null());
    auto gold = ReadPatches(kDir + "/gold.jsonl");
    ASSERT_TRUE(gold.ok());
    gold_ = gold->at("kv-1");
  }
  void TearDown() override {
    unsetenv("RL_SWE_CACHE");
    fs::remove_all(tmp_);
  }
  absl::StatusOr<Instance> With(const std::string& repo, const std::string& base_commit) {
    nlohmann::json j = line_;
    j["repo"] = repo;
    j["base_commit"] = base_commit;
    return ParseInstanceLine(j.dump(), "t.jsonl", 1, kDir);
  }
  std::string tmp_;
  nlohmann::json line_;
  std::string gold_;
};

TEST_F(SweRepoSource, TarballsScoreTheGoldPatchLikeTheDirectory) {
  if (!sandbox::ProbeSupport().ok()) GTEST_SKIP() << sandbox::ProbeSupport();
  // One top-level directory (gzip) and the tree at the archive root (plain tar).
  Sh("tar -czf " + tmp_ + "/kv.tar.gz -C " + kDir + "/repos kv");
  Sh("tar -cf " + tmp_ + "/kv.tar -C " + kDir + "/repos/kv .");
  for (const std::string name : {"kv.tar.gz", "kv.tar"}) {
    auto inst = With(tmp_ + "/" + name, "");
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(inst->repo_source, tmp_ + "/" + name);
    EXPECT_EQ(inst->repo.rfind(tmp_ + "/cache/", 0), 0u) << inst->repo;
    EXPECT_TRUE(fs::exists(inst->repo + "/bin/kv")) << inst->repo;
    auto r = swe::Run(*inst, gold_);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->outcome, "resolved") << EvalResultToJson(*r).dump() << r->log_tail;
    EXPECT_EQ(r->reward, 1.0f);
    r = swe::Run(*inst, "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->reward, 0.0f);
    // Parsed again: the cached tree is reused.
    auto again = With(tmp_ + "/" + name, "");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->repo, inst->repo);
  }
  auto bad = With(tmp_ + "/kv.tar", "abc123");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.jsonl:1: repo: base_commit must be \"\" for a tarball"),
            std::string::npos)
      << bad.status();
}

TEST_F(SweRepoSource, BundleIsCheckedOutAtBaseCommitWithoutHistory) {
  if (!sandbox::ProbeSupport().ok()) GTEST_SKIP() << sandbox::ProbeSupport();
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git not installed";
  // History: base commit (the shipped tree), then a commit applying the gold fix.
  const std::string src = tmp_ + "/src";
  fs::copy(kDir + "/repos/kv", src, fs::copy_options::recursive);
  const std::string git = "git -C " + src + " -c user.name=t -c user.email=t@t ";
  Sh(git + "init -q && " + git + "add -A && " + git + "commit -q -m base");
  const std::string base = Sh(git + "rev-parse HEAD");
  ASSERT_EQ(base.size(), 40u) << base;
  { std::ofstream(tmp_ + "/gold.patch") << gold_; }
  Sh(git + "apply " + tmp_ + "/gold.patch && " + git + "commit -q -am fix");
  Sh(git + "bundle create -q " + tmp_ + "/kv.bundle --all");

  auto inst = With(tmp_ + "/kv.bundle", base);
  ASSERT_TRUE(inst.ok()) << inst.status();
  EXPECT_FALSE(fs::exists(inst->repo + "/.git"));
  auto r = swe::Run(*inst, gold_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcome, "resolved") << EvalResultToJson(*r).dump() << r->log_tail;
  EXPECT_EQ(r->reward, 1.0f);
  // At base the bug is there: a harmless patch leaves the FAIL_TO_PASS test failing.
  r = swe::Run(*inst, "--- /dev/null\n+++ b/NOTES\n@@ -0,0 +1 @@\n+note\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, "unresolved") << EvalResultToJson(*r).dump() << r->log_tail;
  // The bundle's HEAD (base_commit "") already holds the fix: the gold patch no longer applies.
  auto head = With(tmp_ + "/kv.bundle", "");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_NE(head->repo, inst->repo);
  r = swe::Run(*head, gold_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, "patch_failed") << EvalResultToJson(*r).dump();
  // A commit the bundle does not hold.
  auto missing = With(tmp_ + "/kv.bundle", std::string(40, 'a'));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("t.jsonl:1: repo (unpack): "), std::string::npos)
      << missing.status();
  EXPECT_NE(missing.status().message().find("git checkout"), std::string::npos) << missing.status();
}

TEST_F(SweRepoSource, UnsupportedFormsAreErrors) {
  std::ofstream(tmp_ + "/kv.zip") << "PK";
  auto r = With(tmp_ + "/kv.zip", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t.jsonl:1: repo: not a directory, .tar/.tar.gz/.tgz"),
            std::string::npos)
      << r.status();
  r = With("repos/kv", "0123abcd");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("base_commit must be \"\" for a directory"),
            std::string::npos)
      << r.status();
  std::ofstream(tmp_ + "/broken.tar.gz") << "not a tarball";
  r = With(tmp_ + "/broken.tar.gz", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("repo (unpack): "), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("tar exited"), std::string::npos) << r.status();
  // Nothing half-unpacked is left in the cache.
  for (const auto& e : fs::directory_iterator(tmp_ + "/cache"))
    EXPECT_NE(e.path().filename().string().rfind(".tmp-", 0), 0u) << e.path();
}

}  // namespace
}  // namespace rl::swe
