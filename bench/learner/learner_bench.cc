// Learner forward+backward throughput on the default model (YAML model.arch defaults) at
// packed batches (sequences of at most 4K tokens) and single sequences, next to the sgemm
// peak measured in the same run; lightning time per token and the softmax layers' share;
// saved-activation bytes and the process's peak RSS (run one point per process for memory).
//
//   learner_bench [--tokens 2048,8192] [--mode packed|single|both] [--recompute]
//                 [--threads N] [--attention-threads N] [--reps R]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "learner/backward/gemm.h"
#include "learner/backward/model_grad.h"
#include "rl/config/run_config.h"
#include "rl/core/thread_pool.h"
#include "rl/model/hf_config.h"

namespace rl::learner {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double SgemmPeak() {
  const int64_t n = 1024;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  Gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  const double t0 = Now();
  const int reps = 3;
  for (int r = 0; r < reps; ++r)
    Gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  return 2.0 * n * n * n * reps / (Now() - t0) / 1e9;
}

// Forward matmul FLOPs of the batch (softmax attention: causal half), ×3 for fwd+bwd.
double ModelFlops(const model::ModelConfig& c, const std::vector<int64_t>& offsets, int64_t block) {
  const double C = c.hidden_size, H = c.num_heads, D = c.head_dim, KD = c.num_kv_heads * D;
  const double I = c.intermediate_size, E = c.num_experts, k = c.experts_per_token,
               V = c.vocab_size;
  const double N = static_cast<double>(offsets.back());
  double f = 0;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    f += N * (2 * C * E + k * 6 * C * I);
    if (c.layer_types[l] == model::LayerType::kLightning) {
      f += N * (2 * C * 3 * H * D + 2 * C * H * D + 2 * H * D * C);
      f += N * H * (4.0 * static_cast<double>(block) * D + 4 * D * D);
    } else {
      f += N * (2 * C * H * D + 4 * C * KD + 2 * H * D * C);
      for (size_t s = 0; s + 1 < offsets.size(); ++s) {
        const double n = static_cast<double>(offsets[s + 1] - offsets[s]);
        f += H * 2 * n * n * D;  // QKᵀ and PV, causal half
      }
    }
  }
  f += N * 2 * C * V;
  return 3 * f;
}

struct Point {
  double seconds = 0, flops = 0, lightning_us_per_token = 0, softmax_share = 0;
  int64_t activation_bytes = 0;
};

Point Run(const model::ModelConfig& c, const model::ParamMap& params,
          const std::vector<int64_t>& offsets, bool recompute, int reps, ThreadPool* pool) {
  const int64_t N = offsets.back(), C = c.hidden_size, V = c.vocab_size;
  std::mt19937_64 rng(1);
  std::vector<int32_t> tokens(N), targets(N);
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % V);
  for (int64_t t = 0; t + 1 < N; ++t) targets[t] = tokens[t + 1];
  targets[N - 1] = -1;
  WeightView<float> w = ViewOf(params);
  LayerTimes times;
  GradOptions go;
  go.recompute = recompute;
  go.aux_loss_coef = c.router_aux_loss_coef;
  go.times = &times;
  go.pool = pool;
  Point p;
  const double t0 = Now();
  for (int r = 0; r < reps; ++r) {
    Tensors<float> grads = ZeroTensors<float>(c);
    Activations<float> acts;
    ModelForward<float>(c, w, PackedBatch{tokens, offsets}, go, &acts);
    p.activation_bytes = acts.Bytes();
    std::vector<float> logp(N), dlogp(N, -1.0f / static_cast<float>(N)), dh(N * C);
    LmHeadLogProbs<float>(acts.final_hidden.data(), w.at(LmHeadName(c)), N, C, V, targets, 1.0,
                          logp.data(), nullptr);
    LmHeadBackward<float>(acts.final_hidden.data(), w.at(LmHeadName(c)), N, C, V, targets, 1.0,
                          dlogp.data(), dh.data(), grads.at(LmHeadName(c)).data());
    ModelBackward<float>(c, w, PackedBatch{tokens, offsets}, go, &acts, dh.data(), &grads);
  }
  p.seconds = (Now() - t0) / reps;
  p.flops = ModelFlops(c, offsets, go.lightning_block);
  int64_t n_lin = 0;
  for (auto t : c.layer_types) n_lin += t == model::LayerType::kLightning;
  p.lightning_us_per_token =
      times.lightning / reps / std::max<int64_t>(n_lin, 1) / static_cast<double>(N) * 1e6;
  p.softmax_share = times.softmax / reps / p.seconds;
  return p;
}

std::vector<int64_t> Offsets(int64_t total, bool packed) {
  std::vector<int64_t> off = {0};
  if (!packed) {
    off.push_back(total);
    return off;
  }
  const int64_t lens[] = {4096, 1024, 3072, 2048};  // sequences of at most 4K
  for (int i = 0; off.back() < total; ++i) off.push_back(std::min(total, off.back() + lens[i % 4]));
  return off;
}

int Main(int argc, char** argv) {
  std::vector<int64_t> sizes = {2048, 8192};
  std::string mode = "both";
  bool recompute = false;
  int threads = 0, reps = 1, attention_threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--tokens") {
      sizes.clear();
      std::stringstream ss(next());
      for (std::string x; std::getline(ss, x, ',');) sizes.push_back(std::stoll(x));
    } else if (a == "--mode") {
      mode = next();
    } else if (a == "--recompute") {
      recompute = true;
    } else if (a == "--threads") {
      threads = std::stoi(next());
    } else if (a == "--attention-threads") {
      attention_threads = std::stoi(next());
    } else if (a == "--reps") {
      reps = std::stoi(next());
    } else {
      std::fprintf(stderr,
                   "usage: learner_bench [--tokens 2048,8192] [--mode packed|single|both] "
                   "[--recompute] [--threads N] [--attention-threads N] [--reps R]\n");
      return 2;
    }
  }
  if (threads > 0) SetBlasThreads(threads);
  std::unique_ptr<ThreadPool> pool;
  if (attention_threads > 1) pool = std::make_unique<ThreadPool>(attention_threads - 1);
  EnableFlushToZero();
  auto cfg = model::ModelConfigFromArch(config::ArchSection{});
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cfg.status().message()).c_str());
    return 1;
  }
  const model::ParamMap params = model::InitParams(*cfg, 1);
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf(
      "model: default arch (V=%lld C=%lld L=%lld H=%lld D=%lld E=%lld I=%lld), %d BLAS threads, %d "
      "attention threads, "
      "OPENBLAS_CORETYPE=%s, recompute=%s\n",
      (long long)cfg->vocab_size, (long long)cfg->hidden_size, (long long)cfg->num_layers,
      (long long)cfg->num_heads, (long long)cfg->head_dim, (long long)cfg->num_experts,
      (long long)cfg->intermediate_size, BlasThreads(), attention_threads, core ? core : "(unset)",
      recompute ? "yes" : "no");
  std::printf("sgemm peak (1024^3): %.1f GFLOP/s\n\n", SgemmPeak());
  std::printf(
      "| batch | tokens | tokens/s | GFLOP/s | lightning us/token/layer | softmax share | "
      "activations MB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const char* m : {"packed", "single"}) {
    if (mode != "both" && mode != m) continue;
    for (int64_t n : sizes) {
      const auto off = Offsets(n, std::string(m) == "packed");
      Point p = Run(*cfg, params, off, recompute, reps, pool.get());
      std::printf("| %s | %lld | %.0f | %.2f | %.2f | %.0f %% | %.1f |\n", m, (long long)n,
                  static_cast<double>(n) / p.seconds, p.flops / p.seconds / 1e9,
                  p.lightning_us_per_token, 100 * p.softmax_share, p.activation_bytes / 1e6);
      std::fflush(stdout);
    }
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("\npeak RSS: %.1f MB\n", ru.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace
}  // namespace rl::learner

int main(int argc, char** argv) { return rl::learner::Main(argc, argv); }
