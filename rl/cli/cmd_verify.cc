// `rl verify` (score responses with any registered verifier, one JSON object per case) and
// `rl verifier-server` (serve the verifiers over gRPC until SIGINT/SIGTERM).
#include <signal.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "rewards/pipeline.h"
#include "rewards/plugins/grpc_server.h"
#include "rl/cli/command.h"
#include "rl/config/config.h"

namespace rl::cli {
namespace {

using nlohmann::json;

// The run config of --config (its rewards and sandbox sections matter), or the defaults.
StatusOr<config::RunConfig> ConfigFromArgs(const ArgParser& p) {
  if (!p.Has("config")) return config::RunConfig{};
  return config::LoadConfigFile(p.Get("config"));
}

struct Case {
  tasks::Task task;
  std::string response;
  std::string error;  // a malformed input line
  json id;
};

// One JSONL case: a task record's fields (answer or reference) plus "response", or
// {"task": {...}, "response": ...}.
Case ParseCase(const std::string& line, const std::string& where, const std::string& verifier) {
  Case c;
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    c.error = where + ": invalid JSON: " + e.what();
    return c;
  }
  if (!j.is_object()) {
    c.error = where + ": a case must be a JSON object";
    return c;
  }
  const json& t = j.contains("task") ? j["task"] : j;
  auto str = [&](const json& o, const char* k) -> std::string {
    if (!o.contains(k) || o[k].is_null()) return "";
    return o[k].is_string() ? o[k].get<std::string>() : o[k].dump();
  };
  if (!j.contains("response") || !j["response"].is_string()) {
    c.error = where + ": field 'response' (a string) is required";
    return c;
  }
  c.response = j["response"].get<std::string>();
  c.task.id = str(t, "id");
  c.id = t.contains("id") ? t["id"] : json(nullptr);
  c.task.kind = str(t, "kind").empty() ? verifier : str(t, "kind");
  c.task.prompt = str(t, "prompt");
  c.task.answer = t.contains("answer") ? str(t, "answer") : str(t, "reference");
  if (t.contains("metadata") && !t["metadata"].is_null()) {
    if (!t["metadata"].is_object()) {
      c.error = where + ": field 'metadata' must be an object";
      return c;
    }
    c.task.metadata = t["metadata"].dump();
  }
  return c;
}

}  // namespace

int RunVerify(const Args& args) {
  ArgParser p("rl verify",
              "Score responses with a verifier; prints one JSON object per case: "
              "{\"reward\", \"correct\" (true/false/null), \"details\"}.");
  p.Option("verifier", "NAME", "verifier to run (math, countdown, sudoku, …, or a plugin's name)");
  p.Option("reference", "TEXT", "reference answer or worked solution (single case)");
  p.Option("response", "TEXT", "the response to score (single case)");
  p.Option("metadata", "JSON", "task metadata, a JSON object (single case)", "{}");
  p.Option("kind", "KIND", "task kind (single case; default: the verifier name)");
  p.Option("jsonl", "FILE",
           "score every line of FILE: {answer|reference, response, metadata, kind, id}");
  p.Option("config", "YAML",
           "take plugins, shaping and timeouts from this run config's rewards section");
  p.Option("budget", "TOKENS", "generation budget for the overlong penalty (with --tokens)");
  p.Option("tokens", "TOKENS", "response length in tokens for the overlong penalty");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (!p.Has("verifier"))
    return Fail(absl::InvalidArgumentError("rl verify: --verifier is required"));
  bool single = p.Has("response") || p.Has("reference");
  if (single == p.Has("jsonl")) {
    return Fail(
        absl::InvalidArgumentError("rl verify: give either --reference/--response or --jsonl"));
  }
  auto cfg = ConfigFromArgs(p);
  if (!cfg.ok()) return Fail(cfg.status());
  config::RewardsSection* section = &cfg->rewards;
  std::string verifier = p.Get("verifier");

  std::vector<Case> cases;
  if (single) {
    std::string meta = p.Get("metadata");
    json mj;
    try {
      mj = json::parse(meta);
    } catch (const json::exception& e) {
      return Fail(absl::InvalidArgumentError(std::string("rl verify: --metadata: invalid JSON: ") +
                                             e.what()));
    }
    if (!mj.is_object())
      return Fail(absl::InvalidArgumentError("rl verify: --metadata must be a JSON object"));
    Case c;
    c.task = {"cli", p.Has("kind") ? p.Get("kind") : verifier, "", p.Get("reference"), mj.dump()};
    c.response = p.Get("response");
    cases.push_back(std::move(c));
  } else {
    std::ifstream in(p.Get("jsonl"));
    if (!in) return Fail(absl::NotFoundError(p.Get("jsonl") + ": cannot open"));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      cases.push_back(ParseCase(line, p.Get("jsonl") + ":" + std::to_string(n), verifier));
    }
  }
  section->verifiers.clear();
  auto rewards = rewards::BuildRewards(*section, cfg->sandbox);
  if (!rewards.ok()) return Fail(rewards.status());
  if (auto v = rewards->registry->Get(verifier); !v.ok()) return Fail(v.status());
  // Every kind in the input goes to the chosen verifier.
  rewards::PoolOptions po;
  po.fallback_reward = static_cast<float>(section->fallback_reward);
  po.timeout_s = section->timeout_s;
  po.concurrency = static_cast<int>(section->concurrency);
  for (const auto& c : cases) {
    if (c.error.empty()) po.kind_to_verifier[c.task.kind] = verifier;
  }
  auto pool = rewards::VerifierPool::Create(*rewards->registry, po);
  if (!pool.ok()) return Fail(pool.status());

  std::vector<rewards::VerifyInput> inputs;
  std::vector<size_t> index;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].error.empty()) continue;
    rewards::VerifyInput in;
    in.task = &cases[i].task;
    in.response = cases[i].response;
    if (p.Has("tokens")) in.response_tokens = std::atoll(p.Get("tokens").c_str());
    if (p.Has("budget")) in.budget_tokens = std::atoll(p.Get("budget").c_str());
    inputs.push_back(in);
    index.push_back(i);
  }
  auto results = (*pool)->VerifyBatch(inputs);
  std::vector<json> out(cases.size());
  for (size_t k = 0; k < results.size(); ++k) out[index[k]] = rewards::ResultToJson(results[k]);
  int rc = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].error.empty()) {
      std::cerr << "rl verify: " << cases[i].error << "\n";
      out[i] =
          json{{"reward", nullptr}, {"correct", nullptr}, {"details", {{"error", cases[i].error}}}};
      rc = 1;
    }
    if (!cases[i].id.is_null()) out[i]["id"] = cases[i].id;
    std::cout << out[i].dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  return rc;
}

int RunVerifierServer(const Args& args) {
  ArgParser p("rl verifier-server",
              "Serve every verifier (built-ins and the config's plugins) over gRPC "
              "(proto/verifier.proto) with the standard health service, until SIGINT/SIGTERM.");
  p.Option("host", "HOST", "address to listen on", "127.0.0.1");
  p.Option("port", "PORT", "port (0 = pick a free one; the chosen port is printed)", "50061");
  p.Option("threads", "N", "verification threads", "2");
  p.Option("config", "YAML", "take plugins, shaping and rewards.verifiers from this run config");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  auto cfg = ConfigFromArgs(p);
  if (!cfg.ok()) return Fail(cfg.status());
  config::RewardsSection* section = &cfg->rewards;
  auto threads = p.GetInt("threads");
  if (!threads.ok() || *threads < 1)
    return Fail(absl::InvalidArgumentError("rl verifier-server: --threads must be >= 1"));
  auto rewards = rewards::BuildRewards(*section, cfg->sandbox);
  if (!rewards.ok()) return Fail(rewards.status());
  // Block the stop signals before gRPC starts its threads, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  rewards::VerifierServerOptions so;
  so.address = p.Get("host") + ":" + p.Get("port");
  so.threads = static_cast<int>(*threads);
  so.timeout_s = section->timeout_s;
  so.kind_to_verifier = section->verifiers;
  auto server = rewards::VerifierServer::Start(rewards->registry, so);
  if (!server.ok()) return Fail(server.status());
  std::cout << "listening " << p.Get("host") << ":" << (*server)->port() << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  std::cerr << "rl verifier-server: signal " << sig << ", shutting down\n";
  (*server)->Shutdown();
  return 0;
}

}  // namespace rl::cli
