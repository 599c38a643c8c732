// Rollout measurements on loopback, printed as Markdown tables (not a test):
//   1. weight sync: the default model (YAML model.arch defaults) pushed with
//      RolloutClient::PushWeights to W in-process workers over gRPC — bytes, chunks and time
//      until the version is live on every worker (first push carries the architecture);
//   2. generation: tokens/s of the continuous-batching scheduler on the same model for a few
//      batch sizes (greedy, no eos, fixed budget).
// Usage: rollout_bench [--workers N] [--repeats R] [--threads T]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rl/config/run_config.h"
#include "rl/model/forward.h"
#include "rl/model/hf_config.h"
#include "rollout/client.h"
#include "rollout/model_backend.h"
#include "rollout/worker_server.h"

namespace {

using namespace rl;
using namespace rl::rollout;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  int workers = 2, repeats = 5, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--workers") workers = v;
    if (a == "--repeats") repeats = v;
    if (a == "--threads") threads = v;
  }
  auto config = model::ModelConfigFromArch(config::ArchSection{});
  if (!config.ok())
    return std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str()), 1;
  const std::string config_json = *model::HfConfigToJson(*config);
  const model::ParamMap params = model::InitParams(*config, 1);

  std::vector<std::unique_ptr<RolloutWorker>> servers;
  std::vector<std::string> addresses;
  for (int w = 0; w < workers; ++w) {
    SchedulerOptions opt;
    auto engine =
        std::make_unique<RolloutEngine>(std::make_unique<ModelBackend>(nullptr, 16, threads), opt);
    auto s = RolloutWorker::Start(std::move(engine), WorkerOptions{});
    if (!s.ok()) return std::fprintf(stderr, "%s\n", std::string(s.status().message()).c_str()), 1;
    addresses.push_back((*s)->address());
    servers.push_back(std::move(s).value());
  }
  auto client = RolloutClient::Connect(addresses);
  if (!client.ok())
    return std::fprintf(stderr, "%s\n", std::string(client.status().message()).c_str()), 1;

  int64_t n_params = 0;
  for (const auto& [n, t] : params) n_params += t.numel();
  std::printf("## Weight sync: default model (%lld parameters), %d workers, loopback\n\n",
              static_cast<long long>(n_params), workers);
  std::printf(
      "| push | bytes/worker | chunks/worker | total ms (median of %d) | receive ms | apply ms |\n",
      repeats);
  std::printf("|---|---|---|---|---|---|\n");
  for (int with_config = 1; with_config >= 0; --with_config) {
    std::vector<double> total, receive, apply;
    int64_t bytes = 0, chunks = 0;
    for (int r = 0; r < repeats; ++r) {
      static int64_t version = 0;
      auto s = (*client)->PushWeights(++version, with_config ? config_json : "", params);
      if (!s.ok())
        return std::fprintf(stderr, "%s\n", std::string(s.status().message()).c_str()), 1;
      total.push_back(s->total_ms);
      receive.push_back(s->replies[0].receive_ms());
      apply.push_back(s->replies[0].apply_ms());
      bytes = s->bytes_per_worker;
      chunks = s->chunks_per_worker;
    }
    std::printf("| %s | %lld | %lld | %.1f | %.1f | %.1f |\n",
                with_config ? "architecture + weights (new model)" : "weights only (in place)",
                static_cast<long long>(bytes), static_cast<long long>(chunks), Median(total),
                Median(receive), Median(apply));
  }

  std::printf("\n## Generation: continuous batching on one worker's scheduler (in process)\n\n");
  std::printf("| live sequences | prompt | new tokens each | tokens/s |\n|---|---|---|---|\n");
  for (int batch : {1, 4, 16}) {
    auto m = model::Model::Create(*config, params, threads);
    ModelBackend backend(std::move(m).value(), batch, threads);
    SchedulerOptions opt;
    opt.max_batch = batch;
    opt.repetition.consecutive = 0;
    Scheduler s(&backend, opt);
    const int64_t budget = 64;
    for (int i = 0; i < batch; ++i) {
      GenerationRequest q;
      q.request_id = std::to_string(i);
      q.prompt = std::vector<int32_t>(16, 3 + i);
      q.max_new_tokens = budget;
      q.sampling.temperature = 0.0;
      (void)s.Enqueue(q);
    }
    std::vector<GenerationResult> out;
    const auto t0 = std::chrono::steady_clock::now();
    while (s.HasWork()) (void)s.Step(&out);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("| %d | 16 | %lld | %.0f |\n", batch, static_cast<long long>(budget),
                s.stats().tokens_generated / sec);
  }
  for (auto& s : servers) s->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
