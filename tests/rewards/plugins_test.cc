// The three plugin forms end to end: the example shared library (and a wrong-ABI one), the
// example Python JSON-lines process (plus crash / hang / garbage scripts), and the gRPC
// service with its health check, each registered and called like a built-in.
#include "rewards/plugins/plugins.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "rewards/pipeline.h"
#include "rewards/plugins/grpc_server.h"
#include "rewards/verifier_pool.h"
#include "rl/config/config.h"

namespace rl::rewards {
namespace {

tasks::Task T(const std::string& kind, const std::string& answer, const std::string& meta = "{}") {
  return tasks::Task{"id1", kind, "prompt", answer, meta};
}

StatusOr<VerifyResult> Call(Verifier& v, const tasks::Task& t, const std::string& response,
                            double timeout_s = 10) {
  VerifyInput in;
  in.task = &t;
  in.response = response;
  in.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(timeout_s));
  return v.Verify(in);
}

TEST(SharedLibraryPlugin, ExampleLoadsAndVerifies) {
  auto v = LoadSharedLibraryVerifier(EXACT_MATCH_PLUGIN);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->name(), "exact_match");
  auto t = T("short", "Paris");
  auto good = Call(**v, t, "thinking...\n  Paris  \n\n");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->reward, 1.0f);
  EXPECT_EQ(good->correct, true);
  EXPECT_EQ(good->details["last_line_chars"], 5);
  auto bad = Call(**v, t, "paris");
  EXPECT_EQ(bad->correct, false);
  auto folded =
      LoadSharedLibraryVerifier(EXACT_MATCH_PLUGIN, "exact_ci", "{\"case_sensitive\": false}");
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ((*folded)->name(), "exact_ci");
  EXPECT_EQ(Call(**folded, t, "paris")->correct, true);
  // Registered exactly like a built-in and used through the pool.
  VerifierRegistry reg;
  ASSERT_TRUE(reg.Register(*v).ok());
  auto pool = VerifierPool::Create(reg, {{{"short", "exact_match"}}, 0.0f, 5.0, 2});
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ((*pool)->Verify(t, "Paris").reward, 1.0f);
}

TEST(SharedLibraryPlugin, RefusesBadLibraries) {
  EXPECT_EQ(LoadSharedLibraryVerifier("/nonexistent/libx.so").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadSharedLibraryVerifier("libm.so.6").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto future = LoadSharedLibraryVerifier(BAD_ABI_PLUGIN);
  EXPECT_EQ(future.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(future.status().message()).find("ABI version 2"), std::string::npos);
}

std::string WriteScript(const std::string& name, const std::string& body) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << body;
  return path;
}

TEST(ProcessPlugin, ExampleKeepsOneProcessAlive) {
  ProcessOptions o;
  o.argv = {"python3",
            std::string(RL_SOURCE_DIR) + "/examples/verifier_process/keyword_verifier.py"};
  o.name = "keywords";
  auto v = MakeProcessVerifier(o);
  ASSERT_TRUE(v.ok());
  auto t = T("essay", "", R"({"keywords": ["alpha", "beta", "gamma", "delta"]})");
  auto r = Call(**v, t, "Alpha and BETA, then delta.");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FLOAT_EQ(r->reward, 0.75f);
  EXPECT_EQ(r->correct, false);
  EXPECT_EQ(r->details["missing"][0], "gamma");
  auto all = Call(**v, t, "alpha beta gamma delta");
  EXPECT_EQ(all->correct, true);
  // A request the plugin rejects is an error, and the process stays usable.
  auto no_kw = Call(**v, T("essay", ""), "x");
  EXPECT_EQ(no_kw.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Call(**v, t, "alpha")->reward, 0.25f);
}

// Replies with its pid; "crash" exits, "hang" sleeps, "garbage" prints non-JSON.
const char* kTestPlugin = R"(
import json, os, sys, time
for line in sys.stdin:
    req = json.loads(line)
    r = req["response"]
    if r == "crash":
        os._exit(3)
    if r == "hang":
        time.sleep(3600)
    if r == "garbage":
        print("not json", flush=True)
        continue
    print(json.dumps({"id": req["id"], "reward": 1.0, "correct": True, "details": {"pid": os.getpid()}}), flush=True)
)";

TEST(ProcessPlugin, RestartsAfterCrashAndKillsOnTimeout) {
  ProcessOptions o;
  o.argv = {"python3", WriteScript("plugin_under_test.py", kTestPlugin)};
  o.name = "under_test";
  auto v = MakeProcessVerifier(o);
  ASSERT_TRUE(v.ok());
  auto t = T("k", "");
  auto a = Call(**v, t, "ok");
  auto b = Call(**v, t, "ok");
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  int pid = a->details["pid"];
  EXPECT_EQ(b->details["pid"], pid) << "kept alive across calls";
  EXPECT_EQ(Call(**v, t, "crash").status().code(), absl::StatusCode::kUnavailable);
  auto c = Call(**v, t, "ok");
  ASSERT_TRUE(c.ok()) << c.status();
  int pid2 = c->details["pid"];
  EXPECT_NE(pid2, pid) << "restarted after the crash";
  EXPECT_EQ(Call(**v, t, "hang", 0.5).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(kill(pid2, 0), 0) << "the hung process was killed";
  auto d = Call(**v, t, "ok");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->details["pid"], pid2);
  EXPECT_EQ(Call(**v, t, "garbage").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Call(**v, t, "ok").ok());
  // A command that cannot start fails cleanly.
  ProcessOptions missing;
  missing.argv = {"/nonexistent/verifier"};
  missing.name = "missing";
  auto m = MakeProcessVerifier(missing);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(Call(**m, t, "ok").ok());
}

TEST(GrpcPlugin, RemoteVerifierHealthAndShutdown) {
  auto registry = std::make_shared<VerifierRegistry>();
  ASSERT_TRUE(RegisterBuiltinVerifiers(*registry).ok());
  VerifierServerOptions so;
  so.kind_to_verifier = {{"math", "math"}};
  auto server = VerifierServer::Start(registry, so);
  ASSERT_TRUE(server.ok()) << server.status();
  std::string address = "127.0.0.1:" + std::to_string((*server)->port());

  auto remote = MakeGrpcVerifier(address, "remote_math", "math");
  ASSERT_TRUE(remote.ok());
  auto t = T("math", "\\frac{1}{2}");
  auto good = Call(**remote, t, "\\boxed{0.5}");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->correct, true);
  EXPECT_EQ(good->reward, 1.0f);
  EXPECT_EQ(good->details["extracted"][0], "0.5");
  EXPECT_EQ(Call(**remote, t, "\\boxed{2}")->correct, false);
  auto unknown = MakeGrpcVerifier(address, "nope");
  EXPECT_EQ(Call(**unknown, t, "x").status().code(), absl::StatusCode::kNotFound);

  // Standard health service: grpc.health.v1.Health/Check with an empty request → SERVING (1).
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer req, resp;
  grpc::Slice empty("");
  req = grpc::ByteBuffer(&empty, 1);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status hs = done.get_future().get();
  ASSERT_TRUE(hs.ok()) << hs.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(resp.Dump(&slices).ok());
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));

  // Clean shutdown; afterwards calls fail with an error, not a hang.
  (*server)->Shutdown();
  (*server)->Shutdown();
  auto after = Call(**remote, t, "\\boxed{0.5}", 2.0);
  EXPECT_FALSE(after.ok());
}

TEST(LoadPlugins, FromConfigEntries) {
  std::vector<config::PluginSection> plugins(2);
  plugins[0].name = "exact_match";
  plugins[0].type = "shared_library";
  plugins[0].path = EXACT_MATCH_PLUGIN;
  plugins[1].name = "keywords";
  plugins[1].type = "process";
  plugins[1].command = {
      "python3", std::string(RL_SOURCE_DIR) + "/examples/verifier_process/keyword_verifier.py"};
  VerifierRegistry reg;
  ASSERT_TRUE(LoadPlugins(plugins, reg).ok());
  EXPECT_TRUE(reg.Get("exact_match").ok());
  EXPECT_TRUE(reg.Get("keywords").ok());
  plugins[0].path = "/nonexistent.so";
  auto st = LoadPlugins(plugins, reg);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("rewards.plugins[0] (exact_match)"), std::string::npos)
      << st;
}

TEST(Pipeline, QuickstartConfigScoresGeneratedArithmetic) {
  auto cfg = config::LoadConfigFile(std::string(RL_SOURCE_DIR) + "/configs/quickstart.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  auto rewards = BuildRewards(cfg->rewards);
  ASSERT_TRUE(rewards.ok()) << rewards.status();
  auto tasks = GenerateSourceTasks(cfg->tasks.sources.at(0), 20, 100);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->size(), 20u);
  for (const auto& t : *tasks) {
    auto good = rewards->pool->Verify(t, "<think>compute</think> \\boxed{" + t.answer + "}");
    EXPECT_EQ(good.correct, true) << t.prompt << " " << good.details.dump();
    auto bad = rewards->pool->Verify(t, "\\boxed{" + t.answer + "+1}");
    EXPECT_EQ(bad.correct, false);
  }
}

TEST(Pipeline, PluginsShapingAndErrorsFromYaml) {
  std::string yaml =
      std::string("rewards:\n  verifiers: {math: math, short: exact_match, puzzle: sudoku}\n") +
      "  format_weight: 0.5\n  fallback_reward: -1\n" +
      "  plugins:\n    - {name: exact_match, type: shared_library, path: " + EXACT_MATCH_PLUGIN +
      "}\n";
  auto cfg = config::LoadConfigFromString(yaml, "test.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  auto rewards = BuildRewards(cfg->rewards);
  ASSERT_TRUE(rewards.ok()) << rewards.status();
  auto r = rewards->pool->Verify(T("short", "yes"), "<think>hm</think>\nyes");
  EXPECT_FLOAT_EQ(r.reward, 1.5f);  // plugin reward 1 + format 0.5
  // An unmapped kind with a verifier of the same name uses it (generated puzzle tasks).
  auto sat = rewards->pool->Verify(T("sat", "", R"({"variables": 3, "clauses": [[1, -2, 3]]})"),
                                   "<think>.</think> x1=1, x2=1, x3=0");
  EXPECT_EQ(sat.correct, true) << sat.details.dump();
  EXPECT_FLOAT_EQ(sat.reward, 1.5f);
  auto bad_meta = rewards->pool->Verify(T("puzzle", "", "{\"size\": 3}"), "1");
  EXPECT_TRUE(bad_meta.alert);
  EXPECT_FLOAT_EQ(bad_meta.reward, -1.0f);
  auto missing = config::LoadConfigFromString("rewards:\n  verifiers: {math: maths}\n", "t.yaml");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(BuildRewards(missing->rewards).status().code(), absl::StatusCode::kNotFound);
  config::TaskSourceSection src;
  src.name = "s";
  src.generator = "sudoku";
  src.params = {{"size", 7}};
  auto gen = GenerateSourceTasks(src, 1, 0);
  EXPECT_FALSE(gen.ok());
  EXPECT_NE(std::string(gen.status().message()).find("tasks.sources (s)"), std::string::npos);
}

}  // namespace
}  // namespace rl::rewards
