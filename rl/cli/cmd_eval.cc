// `rl eval`: scores a checkpoint on a task set with the reward pipeline. Generation runs in
// this process through the rollout scheduler (rollout/scheduler.h over ModelBackend: the
// same continuous-batching decode loop a worker runs), with the chat template and the
// <|im_end|>/<|endoftext|> stops of the driver and ids past the tokenizer masked.
//
// Per task: one greedy sample (temperature 0) → accuracy and mean length; with --samples N
// > 1, N more samples at --temperature → pass@1 and pass@K by the unbiased estimator
// (rl/cli/pass_at_k.h). Output: a table, then one JSON summary line on stdout (the last
// line). --run DIR writes metrics rows eval/accuracy, eval/mean_length, eval/pass@1,
// eval/pass@K at --step to the newest run of DIR/run.sqlite.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "rewards/pipeline.h"
#include "rl/cli/command.h"
#include "rl/cli/pass_at_k.h"
#include "rl/model/checkpoint.h"
#include "rl/model/forward.h"
#include "rl/store/run_store.h"
#include "rl/tasks/chat_template.h"
#include "rl/tasks/task.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/model_backend.h"
#include "rollout/scheduler.h"

namespace rl::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct EvalArgs {
  std::string model_dir, tasks_file, generator, run_dir, details_file;
  std::map<std::string, double> params;
  int64_t size = 100, k = 1, samples = 1, max_new_tokens = 512, threads = 1, batch = 16;
  int64_t step = -1;  // -1: from the model directory's name (step_N) or 0
  uint64_t seed = 0;
  double temperature = 1.0;
};

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint64_t x : {a, b, c}) {
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
  }
  return h;
}

StatusOr<EvalArgs> ReadArgs(const ArgParser& p) {
  EvalArgs a;
  a.model_dir = p.Get("model");
  a.tasks_file = p.Get("tasks");
  a.generator = p.Get("generator");
  a.run_dir = p.Get("run");
  a.details_file = p.Get("details");
  if (a.model_dir.empty()) return absl::InvalidArgumentError("--model DIR is required");
  if (a.tasks_file.empty() == a.generator.empty()) {
    return absl::InvalidArgumentError("give exactly one of --tasks FILE or --generator NAME");
  }
  auto int_opt = [&](const char* name, int64_t* out, int64_t lo) -> Status {
    if (!p.Has(name) && p.Get(name).empty()) return absl::OkStatus();
    RL_ASSIGN_OR_RETURN(long long v, p.GetInt(name));
    if (v < lo) {
      return absl::InvalidArgumentError(std::string("--") + name + ": must be >= " +
                                        std::to_string(lo) + ", got " + std::to_string(v));
    }
    *out = v;
    return absl::OkStatus();
  };
  RL_RETURN_IF_ERROR(int_opt("size", &a.size, 1));
  RL_RETURN_IF_ERROR(int_opt("k", &a.k, 1));
  RL_RETURN_IF_ERROR(int_opt("samples", &a.samples, 1));
  RL_RETURN_IF_ERROR(int_opt("max-new-tokens", &a.max_new_tokens, 1));
  RL_RETURN_IF_ERROR(int_opt("threads", &a.threads, 1));
  RL_RETURN_IF_ERROR(int_opt("batch", &a.batch, 1));
  RL_RETURN_IF_ERROR(int_opt("step", &a.step, 0));
  int64_t seed = 0;
  RL_RETURN_IF_ERROR(int_opt("seed", &seed, 0));
  a.seed = static_cast<uint64_t>(seed);
  RL_ASSIGN_OR_RETURN(a.temperature, p.GetDouble("temperature"));
  if (!(a.temperature >= 0)) return absl::InvalidArgumentError("--temperature: must be >= 0");
  if (a.k > 1 && a.k > a.samples) {
    return absl::InvalidArgumentError("--k " + std::to_string(a.k) +
                                      " needs --samples >= " + std::to_string(a.k));
  }
  for (const std::string& kv : p.GetAll("param")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError("--param '" + kv + "': expected KEY=NUMBER");
    }
    char* end = nullptr;
    const std::string v = kv.substr(eq + 1);
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || end == nullptr || *end != '\0') {
      return absl::InvalidArgumentError("--param '" + kv + "': '" + v + "' is not a number");
    }
    a.params[kv.substr(0, eq)] = x;
  }
  if (a.step < 0) {
    // A checkpoint written by `rl train` lives in checkpoints/step_N.
    const std::string base = fs::path(a.model_dir).lexically_normal().filename().string().empty()
                                 ? fs::path(a.model_dir).parent_path().filename().string()
                                 : fs::path(a.model_dir).filename().string();
    a.step = 0;
    if (base.rfind("step_", 0) == 0) {
      char* end = nullptr;
      long long n = std::strtoll(base.c_str() + 5, &end, 10);
      if (end != nullptr && *end == '\0' && n >= 0) a.step = n;
    }
  }
  return a;
}

StatusOr<std::vector<tasks::Task>> LoadTasks(const EvalArgs& a) {
  std::vector<tasks::Task> out;
  if (!a.tasks_file.empty()) {
    RL_ASSIGN_OR_RETURN(out, tasks::ReadTasksJsonl(a.tasks_file));
    for (auto& t : out) {
      if (t.kind.empty()) t.kind = "math";  // the default of tasks.sources[].kind
    }
  } else {
    config::TaskSourceSection src;
    src.name = "eval";
    src.generator = a.generator;
    src.params = a.params;
    RL_ASSIGN_OR_RETURN(out, rewards::GenerateSourceTasks(src, a.size, a.seed));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        (a.tasks_file.empty() ? "--generator " + a.generator : a.tasks_file) + ": no tasks");
  }
  return out;
}

// Every request through one scheduler; results by request id.
StatusOr<std::map<std::string, rollout::GenerationResult>> GenerateAll(
    rollout::Scheduler& scheduler, std::vector<rollout::GenerationRequest> requests) {
  std::map<std::string, rollout::GenerationResult> out;
  for (auto& q : requests) RL_RETURN_IF_ERROR(scheduler.Enqueue(std::move(q)));
  std::vector<rollout::GenerationResult> finished;
  while (scheduler.HasWork()) {
    finished.clear();
    RL_RETURN_IF_ERROR(scheduler.Step(&finished));
    for (auto& r : finished) out[r.request_id] = std::move(r);
  }
  return out;
}

struct Scored {
  std::string text;
  int64_t tokens = 0;
  bool correct = false;
  bool aborted = false;
  double reward = 0;
};

}  // namespace

int RunEval(const Args& args) {
  ArgParser p("rl eval",
              "Score a checkpoint on a task set: greedy accuracy, pass@k, mean response length.");
  p.Option("model", "DIR", "checkpoint directory (config.json, safetensors, tokenizer.json)");
  p.Option("tasks", "FILE", "JSONL task records {id, kind, prompt, answer, metadata}");
  p.Option("generator", "NAME", "or tasks from a built-in generator (e.g. arithmetic)");
  p.RepeatedOption("param", "KEY=VALUE", "generator parameter (repeatable)");
  p.Option("size", "N", "tasks to generate with --generator", "100");
  p.Option("seed", "S", "generator seed and sampling seed", "0");
  p.Option("k", "K", "report pass@K (needs --samples >= K)", "1");
  p.Option("samples", "N", "samples per task at --temperature for pass@k (1 = greedy only)", "1");
  p.Option("temperature", "T", "temperature of the pass@k samples", "1.0");
  p.Option("max-new-tokens", "M", "generation budget per sample", "512");
  p.Option("batch", "N", "sequences decoded together", "16");
  p.Option("threads", "N", "compute threads of the model", "1");
  p.Option("run", "DIR", "also write the result as metrics rows to DIR/run.sqlite");
  p.Option("step", "S", "step of those rows (default: N of a .../step_N model dir, else 0)");
  p.Option("details", "FILE", "write one JSON line per task (responses, correctness)");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  auto a = ReadArgs(p);
  if (!a.ok()) return Fail(a.status());
  // Open the store first so a bad --run fails before minutes of generation.
  std::unique_ptr<store::RunStore> store;
  int64_t run_id = 0;
  if (!a->run_dir.empty()) {
    const std::string db = (fs::path(a->run_dir) / "run.sqlite").string();
    if (!fs::exists(db)) return Fail(absl::NotFoundError(db + ": no run store there"));
    auto s = store::RunStore::Open(db);
    if (!s.ok()) return Fail(s.status());
    auto runs = (*s)->ListRuns();
    if (!runs.ok()) return Fail(runs.status());
    if (runs->empty()) return Fail(absl::NotFoundError(db + ": holds no run"));
    run_id = runs->back().id;
    store = std::move(*s);
  }
  auto task_list = LoadTasks(*a);
  if (!task_list.ok()) return Fail(task_list.status());
  const std::vector<tasks::Task>& ts = *task_list;

  auto ck = model::LoadCheckpoint(a->model_dir);
  if (!ck.ok()) return Fail(ck.status());
  if (ck->tokenizer_json.empty()) {
    std::cerr << "rl eval: " << a->model_dir << " has no tokenizer.json; using the embedded one\n";
    ck->tokenizer_json = tokenizer::DefaultTokenizerJson();
  }
  auto tok = tokenizer::Tokenizer::FromJson(ck->tokenizer_json, a->model_dir + "/tokenizer.json");
  if (!tok.ok()) return Fail(tok.status());
  if ((*tok)->vocab_size() > ck->config.vocab_size) {
    return Fail(absl::InvalidArgumentError(
        a->model_dir + ": tokenizer has " + std::to_string((*tok)->vocab_size()) +
        " tokens but the model's vocab_size is " + std::to_string(ck->config.vocab_size)));
  }
  std::vector<int32_t> stops;
  for (const char* s : {tokenizer::kImEnd, tokenizer::kEndOfText}) {
    if (auto id = (*tok)->TokenId(s)) stops.push_back(*id);
  }
  auto m = model::Model::Create(std::move(ck->config), std::move(ck->params),
                                static_cast<int>(a->threads));
  if (!m.ok()) return Fail(m.status());
  rollout::ModelBackend backend(std::move(*m), static_cast<int>(a->batch),
                                static_cast<int>(a->threads));
  rollout::SchedulerOptions so;
  so.max_batch = static_cast<int>(a->batch);
  so.max_state_bytes = int64_t{1} << 40;  // one process, no neighbours to protect
  so.repetition.consecutive = 0;          // an evaluation scores the policy as it is
  rollout::Scheduler scheduler(&backend, so);

  // Requests: "g<i>" greedy per task, "s<i>-<j>" the pass@k samples.
  const int64_t T = static_cast<int64_t>(ts.size());
  const int64_t n = a->samples > 1 ? a->samples : 0;
  const int64_t vocab_limit = (*tok)->vocab_size();
  std::vector<rollout::GenerationRequest> reqs;
  for (int64_t i = 0; i < T; ++i) {
    rollout::GenerationRequest q;
    q.prompt = (*tok)->Encode(tasks::ApplyChatTemplate(ts[i].prompt));
    q.max_new_tokens = a->max_new_tokens;
    q.stop_tokens = stops;
    q.group_index = i;
    q.request_id = "g" + std::to_string(i);
    q.sampling = {0.0, 1.0, 0, 0.0, vocab_limit};
    reqs.push_back(q);
    for (int64_t j = 0; j < n; ++j) {
      q.request_id = "s" + std::to_string(i) + "-" + std::to_string(j);
      q.sampling = {a->temperature, 1.0, 0, 0.0, vocab_limit};
      q.seed = Mix(a->seed, static_cast<uint64_t>(i), static_cast<uint64_t>(j));
      reqs.push_back(q);
    }
  }
  const auto t0 = Clock::now();
  auto got = GenerateAll(scheduler, reqs);
  if (!got.ok()) return Fail(got.status());
  const double gen_s = std::chrono::duration<double>(Clock::now() - t0).count();

  // Score every sample.
  auto rw = rewards::BuildRewards(config::RewardsSection{}, config::SandboxSection{});
  if (!rw.ok()) return Fail(rw.status());
  std::vector<Scored> scored(reqs.size());
  std::vector<rewards::VerifyInput> inputs(reqs.size());
  int64_t gen_tokens = 0;
  for (size_t r = 0; r < reqs.size(); ++r) {
    auto it = got->find(reqs[r].request_id);
    if (it == got->end()) return Fail(absl::InternalError("no sample for " + reqs[r].request_id));
    std::vector<int32_t> toks = it->second.tokens;
    scored[r].tokens = static_cast<int64_t>(toks.size());
    gen_tokens += scored[r].tokens;
    scored[r].aborted = it->second.finish_reason == rollout::FinishReason::kAborted;
    if (scored[r].aborted) {
      std::cerr << "rl eval: " << ts[reqs[r].group_index].id << ": aborted: " << it->second.error
                << "\n";
    }
    if (!toks.empty() && std::find(stops.begin(), stops.end(), toks.back()) != stops.end())
      toks.pop_back();
    scored[r].text = (*tok)->Decode(toks);
    inputs[r].task = &ts[reqs[r].group_index];
    inputs[r].response_tokens = scored[r].tokens;
    inputs[r].budget_tokens = a->max_new_tokens;
  }
  for (size_t r = 0; r < reqs.size(); ++r) inputs[r].response = scored[r].text;
  std::vector<rewards::VerifyResult> vr = rw->pool->VerifyBatch(inputs);
  int64_t alerts = 0;
  for (size_t r = 0; r < reqs.size(); ++r) {
    scored[r].correct = vr[r].correct.value_or(false);
    scored[r].reward = vr[r].reward;
    alerts += vr[r].alert ? 1 : 0;
  }
  if (alerts > 0) {
    std::cerr << "rl eval: " << alerts
              << " sample(s) fell back to the fallback reward (unknown kind or verifier error)\n";
  }

  // Aggregate: reqs is [g0, s0-0 … s0-(n−1), g1, …].
  int64_t correct = 0, aborted = 0;
  double len_sum = 0;
  std::vector<int64_t> c_per_task(static_cast<size_t>(T), 0);
  std::ofstream details;
  if (!a->details_file.empty()) {
    details.open(a->details_file);
    if (!details) return Fail(absl::UnavailableError(a->details_file + ": cannot write"));
  }
  for (int64_t i = 0; i < T; ++i) {
    const size_t g = static_cast<size_t>(i * (n + 1));
    correct += scored[g].correct ? 1 : 0;
    aborted += scored[g].aborted ? 1 : 0;
    len_sum += static_cast<double>(scored[g].tokens);
    json samples = json::array();
    for (int64_t j = 0; j < n; ++j) {
      const Scored& s = scored[g + 1 + static_cast<size_t>(j)];
      c_per_task[i] += s.correct ? 1 : 0;
      samples.push_back({{"response", s.text}, {"tokens", s.tokens}, {"correct", s.correct}});
    }
    if (details.is_open()) {
      json d = {{"id", ts[i].id},
                {"kind", ts[i].kind},
                {"greedy",
                 {{"response", scored[g].text},
                  {"tokens", scored[g].tokens},
                  {"correct", scored[g].correct},
                  {"reward", scored[g].reward}}}};
      if (n > 0) {
        d["samples"] = samples;
        d["n"] = n;
        d["c"] = c_per_task[i];
      }
      // Responses of an untrained model need not be valid UTF-8: invalid bytes become U+FFFD.
      details << d.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    }
  }
  if (details.is_open() && !details.flush()) {
    return Fail(absl::UnavailableError(a->details_file + ": write failed"));
  }
  const double acc = static_cast<double>(correct) / static_cast<double>(T);
  const double mean_len = len_sum / static_cast<double>(T);
  std::map<std::string, double> metrics = {{"eval/accuracy", acc}, {"eval/mean_length", mean_len}};
  std::vector<int64_t> ks;
  if (n > 0) {
    ks.push_back(1);
    if (a->k > 1) ks.push_back(a->k);
  }
  json summary = {{"model", a->model_dir},
                  {"tasks", a->tasks_file.empty() ? "generator:" + a->generator : a->tasks_file},
                  {"num_tasks", T},
                  {"accuracy", acc},
                  {"correct", correct},
                  {"mean_length", mean_len},
                  {"max_new_tokens", a->max_new_tokens},
                  {"aborted", aborted},
                  {"step", a->step},
                  {"generate_seconds", gen_s},
                  {"tokens_per_s", gen_s > 0 ? static_cast<double>(gen_tokens) / gen_s : 0.0}};
  std::printf("rl eval: %s on %s (%lld tasks)\n", a->model_dir.c_str(),
              summary["tasks"].get<std::string>().c_str(), static_cast<long long>(T));
  std::printf("  %-28s %10s\n", "metric", "value");
  std::printf("  %-28s %10.4f  (%lld/%lld)\n", "accuracy (greedy)", acc,
              static_cast<long long>(correct), static_cast<long long>(T));
  if (n > 0) {
    summary["samples"] = n;
    summary["temperature"] = a->temperature;
    for (int64_t k : ks) {
      const double v = MeanPassAtK(n, c_per_task, k);
      const std::string name = "pass@" + std::to_string(k);
      summary[name] = v;
      metrics["eval/" + name] = v;
      char label[64];
      std::snprintf(label, sizeof(label), "%s (n=%lld, T=%g)", name.c_str(),
                    static_cast<long long>(n), a->temperature);
      std::printf("  %-28s %10.4f\n", label, v);
    }
  }
  std::printf("  %-28s %10.2f\n", "mean length (greedy tokens)", mean_len);
  if (store != nullptr) {
    store->LogMetrics(run_id, a->step, metrics);
    if (Status st = store->Flush(); !st.ok()) return Fail(st);
    summary["run"] = a->run_dir;
    summary["run_id"] = run_id;
    std::printf("  wrote %zu metrics rows at step %lld to %s/run.sqlite (run %lld)\n",
                metrics.size(), static_cast<long long>(a->step), a->run_dir.c_str(),
                static_cast<long long>(run_id));
  }
  std::cout << summary.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
  std::fprintf(stderr, "rl eval: %lld samples, %lld tokens in %.2f s (%.1f tok/s)\n",
               static_cast<long long>(reqs.size()), static_cast<long long>(gen_tokens), gen_s,
               gen_s > 0 ? static_cast<double>(gen_tokens) / gen_s : 0.0);
  return 0;
}

}  // namespace rl::cli
