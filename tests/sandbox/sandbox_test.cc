// The sandbox's ordinary behaviour: exit codes, stdin/stdout, files in and out, the view of
// the filesystem, the environment, limits validation, the pool, and SanitizeUtf8.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/sandbox/test_util.h"

namespace rl::sandbox {
namespace {

using testing_util::Describe;
using testing_util::MustRun;
using testing_util::Python;
using testing_util::Shell;

TEST(Sandbox, OutcomeNames) {
  EXPECT_STREQ(OutcomeName(Outcome::kOk), "OK");
  EXPECT_STREQ(OutcomeName(Outcome::kRuntimeError), "RE");
  EXPECT_STREQ(OutcomeName(Outcome::kTimeout), "TO");
  EXPECT_STREQ(OutcomeName(Outcome::kMemoryLimit), "MLE");
  EXPECT_STREQ(OutcomeName(Outcome::kOutputLimit), "OLE");
  EXPECT_STREQ(OutcomeName(Outcome::kSignal), "SG");
  EXPECT_STREQ(OutcomeName(Outcome::kInternalError), "XX");
}

TEST(Sandbox, ExitCodesAndStreams) {
  SKIP_WITHOUT_SANDBOX();
  JobResult ok = MustRun(Shell("echo out; echo err >&2"));
  EXPECT_EQ(ok.status, Outcome::kOk) << Describe(ok);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.stdout_data, "out\n");
  EXPECT_EQ(ok.stderr_data, "err\n");
  EXPECT_FALSE(ok.truncated);
  JobResult re = MustRun(Shell("exit 3"));
  EXPECT_EQ(re.status, Outcome::kRuntimeError) << Describe(re);
  EXPECT_EQ(re.exit_code, 3);
  JobResult sg = MustRun(Shell("kill -TERM $$"));
  EXPECT_EQ(sg.status, Outcome::kSignal) << Describe(sg);
  EXPECT_EQ(sg.signal, SIGTERM);
}

TEST(Sandbox, StdinIsPassedAndClosed) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Python("import sys; d = sys.stdin.read(); print(len(d), d.count('x'))");
  spec.stdin_data = std::string(300000, 'x');  // larger than a pipe buffer
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "300000 300000\n");
}

TEST(Sandbox, FilesInAndCollectedOut) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec = Shell("cat in/data.txt | tr a-z A-Z > out.txt; ./run.sh; pwd; ls -l run.sh");
  spec.files["in/data.txt"] = "hello";
  spec.files["run.sh"] = "#!/bin/sh\necho script ran > report.json\n";
  spec.collect_files = {"out.txt", "report.json", "missing.txt"};
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.output_files["out.txt"], "HELLO");
  EXPECT_EQ(r.output_files["report.json"], "script ran\n");
  EXPECT_EQ(r.output_files.count("missing.txt"), 0u);
  EXPECT_NE(r.stdout_data.find("/work\n-rwxr-xr-x"), std::string::npos) << r.stdout_data;
}

TEST(Sandbox, CollectedFilesNeverLeaveTheWorkDir) {
  SKIP_WITHOUT_SANDBOX();
  // A job points its "report" at files outside /work; the harness must not follow.
  JobSpec spec = Shell(
      "ln -s /proc/1/environ env.json; ln -s /etc/passwd pw.json; "
      "ln -s ../tmp/x up.json; echo secret > /tmp/x");
  spec.collect_files = {"env.json", "pw.json", "up.json"};
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_TRUE(r.output_files.empty()) << r.output_files.begin()->first;
}

TEST(Sandbox, WorkDirSourceIsCopiedWithModes) {
  SKIP_WITHOUT_SANDBOX();
  std::string dir = ::testing::TempDir() + "/sandbox_src_" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/sub");
  std::ofstream(dir + "/sub/a.txt") << "alpha";
  std::ofstream(dir + "/tool") << "#!/bin/sh\necho tool\n";
  chmod((dir + "/tool").c_str(), 0700);
  chmod(dir.c_str(), 0700);  // readable by the harness only, as mkdtemp makes it
  JobSpec spec = Shell("cat sub/a.txt; ./tool; echo change > sub/a.txt");
  spec.work_dir_source = dir;
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data, "alphatool\n");
  std::ifstream in(dir + "/sub/a.txt");
  std::string host((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(host, "alpha");  // a copy: the host's directory is untouched
  std::filesystem::remove_all(dir);
}

TEST(Sandbox, FilesystemView) {
  SKIP_WITHOUT_SANDBOX();
  JobResult r = MustRun(Shell("ls /; echo; ls /etc; echo; id -u; hostname"));
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  std::istringstream lines(r.stdout_data);
  std::set<std::string> root, etc;
  std::string line;
  while (std::getline(lines, line) && !line.empty()) root.insert(line);
  while (std::getline(lines, line) && !line.empty()) etc.insert(line);
  for (const char* hidden : {"root", "home", "work/..", "sys", "var", "opt", "boot", "mnt"}) {
    EXPECT_EQ(root.count(hidden), 0u) << hidden;
  }
  for (const char* shown : {"usr", "bin", "etc", "tmp", "work", "dev", "proc"}) {
    EXPECT_EQ(root.count(shown), 1u) << shown;
  }
  EXPECT_EQ(etc.count("shadow"), 0u);
  EXPECT_EQ(etc.count("passwd"), 1u);
  EXPECT_LE(etc.size(), 10u);
  std::getline(lines, line);
  EXPECT_EQ(line, geteuid() == 0 ? "1000" : "0");  // an unprivileged uid when we are root
  std::getline(lines, line);
  EXPECT_EQ(line, "sandbox");
}

TEST(Sandbox, EnvironmentIsTheAllowList) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec;
  spec.argv = {"/usr/bin/env"};
  spec.extra_env["EXTRA"] = "1";
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kOk) << Describe(r);
  EXPECT_EQ(r.stdout_data,
            "PATH=/usr/local/bin:/usr/bin:/bin\nHOME=/work\nLANG=C.UTF-8\nTMPDIR=/tmp\n"
            "EXTRA=1\n");
}

TEST(Sandbox, MaxRssMeasuresTheJobNotTheHarness) {
  SKIP_WITHOUT_SANDBOX();
  if (EnforcementSummary().find("cgroup") == std::string::npos) {
    GTEST_SKIP() << "no memory cgroup: max_rss_kb is ru_maxrss, harness included";
  }
  // A big harness (256 MiB touched) must not show up in the job's peak.
  std::vector<char> ballast(256 << 20, 1);
  JobResult small = MustRun(Python("print(1)"));
  JobResult big = MustRun(Python("a = bytearray(96 << 20)\nprint(len(a))"));
  EXPECT_EQ(small.status, Outcome::kOk) << Describe(small);
  EXPECT_EQ(big.status, Outcome::kOk) << Describe(big);
  EXPECT_LT(small.max_rss_kb, 64 * 1024);
  EXPECT_GE(big.max_rss_kb, 96 * 1024);
  EXPECT_LT(big.max_rss_kb, 96 * 1024 + 64 * 1024);
  EXPECT_EQ(ballast[12345], 1);
}

TEST(Sandbox, InvalidSpecsAreRejected) {
  JobSpec empty;
  EXPECT_EQ(RunJob(empty).status().code(), absl::StatusCode::kInvalidArgument);
  JobSpec abs = Shell("true");
  abs.files["/etc/passwd"] = "x";
  EXPECT_EQ(RunJob(abs).status().code(), absl::StatusCode::kInvalidArgument);
  JobSpec up = Shell("true");
  up.collect_files = {"a/../../x"};
  auto st = RunJob(up).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("collect_files"), std::string::npos) << st;
  JobSpec lim = Shell("true");
  lim.limits.wall_s = 0;
  st = RunJob(lim).status();
  EXPECT_NE(st.message().find("limits.wall_s"), std::string::npos) << st;
  JobSpec src = Shell("true");
  src.work_dir_source = "/nonexistent/dir";
  EXPECT_EQ(RunJob(src).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Sandbox, MissingCommandIsAnInternalError) {
  SKIP_WITHOUT_SANDBOX();
  JobSpec spec;
  spec.argv = {"no-such-command-here"};
  JobResult r = MustRun(spec);
  EXPECT_EQ(r.status, Outcome::kInternalError) << Describe(r);
  EXPECT_NE(r.message.find("exec no-such-command-here"), std::string::npos) << r.message;
}

TEST(SandboxPool, RunsManyJobsCorrectly) {
  SKIP_WITHOUT_SANDBOX();
  SandboxPool pool(3);
  std::vector<std::future<absl::StatusOr<JobResult>>> futures;
  for (int i = 0; i < 8; ++i) {
    JobSpec spec = Shell("cat n; echo $(( $(cat n) * $(cat n) )) > sq");
    spec.files["n"] = std::to_string(i);
    spec.collect_files = {"sq"};
    futures.push_back(pool.Submit(std::move(spec)));
  }
  for (int i = 0; i < 8; ++i) {
    auto r = futures[static_cast<size_t>(i)].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, Outcome::kOk) << Describe(*r);
    EXPECT_EQ(r->stdout_data, std::to_string(i));
    EXPECT_EQ(r->output_files["sq"], std::to_string(i * i) + "\n");
  }
}

TEST(SanitizeUtf8, KeepsValidAndReplacesInvalid) {
  EXPECT_EQ(SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(SanitizeUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(SanitizeUtf8("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string kBad = "\xEF\xBF\xBD";
  EXPECT_EQ(SanitizeUtf8("\xFF"), kBad);
  EXPECT_EQ(SanitizeUtf8("a\xC3"), "a" + kBad);                            // cut sequence
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), kBad + kBad);                        // overlong
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), kBad + kBad + kBad);             // surrogate
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80"), kBad + kBad + kBad + kBad);  // > U+10FFFF
  EXPECT_EQ(SanitizeUtf8("\xE2\x82x"), kBad + "x");
}

}  // namespace
}  // namespace rl::sandbox
