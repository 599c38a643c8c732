// engine_bench: tokens/s of the CPU engine (prefill and batched decode) at batch 1 and 32 and
// contexts 1K..64K, for a hybrid 7:1 lightning/softmax model and the same size all-softmax,
// with the achieved GFLOP/s against the sgemm peak measured in the same run. Points whose
// estimated time exceeds --max-seconds (or memory --max-gb) are skipped and say so.
// Decode is timed from states advanced to the context length (cache contents are zeros: the
// work is the same as after a real prefill).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rl/core/args.h"
#include "rl/core/strings.h"
#include "rl/core/thread_pool.h"
#include "rl/kernels/lightning_attention.h"
#include "rl/kernels/matmul.h"
#include "rl/model/forward.h"

namespace rl {
namespace {

using model::LayerType;
using model::ModelConfig;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

StatusOr<ModelConfig> SizeConfig(const std::string& size) {
  ModelConfig c;
  if (size == "tiny") {
    c.vocab_size = 4096; c.hidden_size = 256; c.num_layers = 8; c.num_heads = 4; c.head_dim = 64;
    c.num_kv_heads = 2; c.rotary_dim = 32; c.intermediate_size = 512; c.num_experts = 4;
  } else if (size == "small") {
    c.vocab_size = 32000; c.hidden_size = 512; c.num_layers = 8; c.num_heads = 8; c.head_dim = 64;
    c.num_kv_heads = 4; c.rotary_dim = 32; c.intermediate_size = 1024; c.num_experts = 8;
  } else if (size == "medium") {
    c.vocab_size = 32000; c.hidden_size = 1024; c.num_layers = 16; c.num_heads = 16;
    c.head_dim = 64; c.num_kv_heads = 8; c.rotary_dim = 32; c.intermediate_size = 1024;
    c.num_experts = 4;
  } else {
    return absl::InvalidArgumentError("--size must be tiny, small or medium, got " + size);
  }
  c.experts_per_token = 2;
  c.rope_theta = 1e7;
  return c;
}

void SetPattern(ModelConfig* c, bool hybrid) {
  c->layer_types.clear();
  for (int64_t i = 0; i < c->num_layers; ++i) {
    c->layer_types.push_back(!hybrid || (i + 1) % 8 == 0 ? LayerType::kSoftmax : LayerType::kLightning);
  }
}

// FLOPs of one token through the stack at sequence position `pos` (decode) or, for prefill of
// a sequence of n tokens, the per-token average (attention to n/2 keys, full blocks).
double TokenFlops(const ModelConfig& c, double keys, bool prefill, double block) {
  const double C = c.hidden_size, H = c.num_heads, D = c.head_dim, KVH = c.num_kv_heads;
  const double I = c.intermediate_size, E = c.num_experts, k = c.experts_per_token;
  double f = 0;
  for (LayerType t : c.layer_types) {
    f += 2 * C * E + 6 * k * C * I;  // router + experts
    if (t == LayerType::kLightning) {
      f += 2 * C * 5 * H * D;  // qkv, gate, out
      f += prefill ? H * (4 * block * D + 4 * D * D) : H * 4 * D * D;
    } else {
      f += 2 * C * (2 * H * D + 2 * KVH * D);
      f += H * 4 * D * keys;
    }
  }
  return f;
}

double LmHeadFlops(const ModelConfig& c) { return 2.0 * c.hidden_size * c.vocab_size; }

double StateBytes(const ModelConfig& c, int64_t capacity) {
  double soft = 0, lin = 0;
  for (LayerType t : c.layer_types) (t == LayerType::kSoftmax ? soft : lin) += 1;
  return 4.0 * (soft * capacity * c.num_kv_heads * c.head_dim * 2 +
                lin * c.num_heads * c.head_dim * c.head_dim + capacity);
}

double WeightBytes(const ModelConfig& c) {
  double n = 0;
  for (const auto& [name, shape] : model::ExpectedParamShapes(c)) {
    double e = 1;
    for (auto d : shape) e *= static_cast<double>(d);
    n += e;
  }
  return 4.0 * n;
}

double MeasurePeak(int n) {
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a), c(a);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    best = std::max(best, 2.0 * n * n * n / Seconds(t0) / 1e9);
  }
  return best;
}

struct Options {
  std::vector<int64_t> contexts, batches;
  double max_seconds = 600, max_gb = 4, peak = 0;
  int64_t decode_steps = 8;
  bool prefill = true, decode = true;
};

void Row(const char* model, const char* phase, int64_t batch, int64_t ctx, const std::string& rest) {
  std::printf("| %-8s | %-7s | %5lld | %6lld | %s\n", model, phase, static_cast<long long>(batch),
              static_cast<long long>(ctx), rest.c_str());
  std::fflush(stdout);
}

std::string Measured(double tokens, double seconds, double flops, double peak) {
  char buf[160];
  const double gf = flops / seconds / 1e9;
  std::snprintf(buf, sizeof buf, "%10.1f | %8.1f | %5.1f%% | %.2f s", tokens / seconds, gf,
                100.0 * gf / peak, seconds);
  return buf;
}

std::string Skipped(const char* why, double value) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%10s | %8s | %6s | skipped: %s %.3g", "-", "-", "-", why, value);
  return buf;
}

void BenchModel(const char* name, const ModelConfig& c, const Options& o) {
  auto created = model::Model::Create(c, model::InitParams(c, 1));
  if (!created.ok()) {
    std::printf("%s: %s\n", name, std::string(created.status().message()).c_str());
    return;
  }
  const model::Model& m = **created;
  const double peak = o.peak, wbytes = WeightBytes(c);
  for (int64_t B : o.batches) {
    for (int64_t ctx : o.contexts) {
      const double mem_gb = (B * StateBytes(c, ctx + o.decode_steps)) / 1e9;
      // Prefill: B sequences of ctx tokens into fresh states.
      const double block = static_cast<double>(kernels::LightningBlockSize(ctx));
      const double pf_flops = B * (ctx * TokenFlops(c, ctx / 2.0, true, block) + LmHeadFlops(c));
      const double pf_est = pf_flops / (0.25 * peak * 1e9);
      if (!o.prefill) {
      } else if (mem_gb > o.max_gb) {
        Row(name, "prefill", B, ctx, Skipped("memory GB >", mem_gb));
      } else if (pf_est > o.max_seconds) {
        Row(name, "prefill", B, ctx, Skipped("estimated s >", pf_est));
      } else {
        std::vector<model::DecodeState> states;
        std::vector<model::DecodeState*> ptrs;
        for (int64_t i = 0; i < B; ++i) states.emplace_back(c, ctx);
        for (auto& s : states) ptrs.push_back(&s);
        std::vector<int32_t> tokens(static_cast<size_t>(B * ctx));
        for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7919) % c.vocab_size);
        std::vector<int64_t> off;
        for (int64_t i = 0; i <= B; ++i) off.push_back(i * ctx);
        std::vector<float> logits(static_cast<size_t>(B * c.vocab_size));
        model::Workspace ws(c);
        auto t0 = Clock::now();
        Status st = model::PrefillBatch(m, {tokens, off}, ptrs, &ws, logits);
        const double sec = Seconds(t0);
        Row(name, "prefill", B, ctx, st.ok() ? Measured(double(B * ctx), sec, pf_flops, peak)
                                             : std::string(st.message()));
      }
      // Decode: B sequences at position ctx, decode_steps steps.
      const double dc_flops =
          o.decode_steps * B * (TokenFlops(c, ctx + o.decode_steps / 2.0, false, 0) + LmHeadFlops(c));
      const double dc_est = o.decode_steps * (wbytes + B * StateBytes(c, ctx)) / 5e9 +
                            dc_flops / (0.1 * peak * 1e9);
      if (!o.decode) continue;
      if (mem_gb > o.max_gb) {
        Row(name, "decode", B, ctx, Skipped("memory GB >", mem_gb));
        continue;
      }
      if (dc_est > o.max_seconds) {
        Row(name, "decode", B, ctx, Skipped("estimated s >", dc_est));
        continue;
      }
      std::vector<model::DecodeState> states;
      std::vector<model::DecodeState*> ptrs;
      for (int64_t i = 0; i < B; ++i) states.emplace_back(c, ctx + o.decode_steps + 1);
      for (auto& s : states) {
        s.Advance(ctx);
        ptrs.push_back(&s);
      }
      model::Workspace ws(c, B);
      std::vector<float> logits(static_cast<size_t>(B * c.vocab_size));
      std::vector<int32_t> tok(static_cast<size_t>(B), 1);
      Status st = model::DecodeStep(m, ptrs, tok, &ws, logits);  // warm-up
      auto t0 = Clock::now();
      for (int64_t s = 1; s < o.decode_steps && st.ok(); ++s) st = model::DecodeStep(m, ptrs, tok, &ws, logits);
      const double sec = Seconds(t0);
      const double flops = dc_flops * (o.decode_steps - 1) / o.decode_steps;
      Row(name, "decode", B, ctx, st.ok() ? Measured(double(B * (o.decode_steps - 1)), sec, flops, peak)
                                          : std::string(st.message()));
    }
  }
}

StatusOr<std::vector<int64_t>> IntList(const std::string& s) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    const std::string item = s.substr(start, end - start);
    char* stop = nullptr;
    long long v = std::strtoll(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0' || v <= 0) {
      return absl::InvalidArgumentError("not a list of positive integers: " + s);
    }
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  char buf[128] = {0};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? buf : "?";
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

int Main(int argc, char** argv) {
  EnableFlushToZero();
  ArgParser args("engine_bench", "CPU engine tokens/s and GFLOP/s vs the sgemm peak");
  args.Option("size", "NAME", "model size: tiny | small | medium", "tiny")
      .Option("contexts", "LIST", "context lengths", "1024,8192,32768,65536")
      .Option("batches", "LIST", "batch sizes", "1,32")
      .Option("max-seconds", "S", "skip points estimated to take longer", "600")
      .Option("max-gb", "GB", "skip points whose decode states need more memory", "4")
      .Option("decode-steps", "N", "decode steps timed per point (first is warm-up)", "8")
      .Option("models", "LIST", "hybrid,softmax", "hybrid,softmax")
      .Option("phases", "LIST", "prefill,decode", "prefill,decode")
      .Flag("quick", "contexts 1024 only, 4 decode steps, a smaller peak matrix");
  std::vector<std::string> a(argv + 1, argv + argc);
  Status st = args.Parse(a);
  if (!st.ok() || args.help_requested()) {
    std::fprintf(st.ok() ? stdout : stderr, "%s%s\n", st.ok() ? "" : (std::string(st.message()) + "\n").c_str(),
                 args.Help().c_str());
    return st.ok() ? 0 : 2;
  }
  Options o;
  const bool quick = args.GetFlag("quick");
  auto contexts = IntList(quick && !args.Has("contexts") ? "1024" : args.Get("contexts"));
  auto batches = IntList(args.Get("batches"));
  auto cfg = SizeConfig(args.Get("size"));
  auto steps = args.GetInt("decode-steps");
  auto max_s = args.GetDouble("max-seconds");
  auto max_gb = args.GetDouble("max-gb");
  for (const Status& s : {contexts.status(), batches.status(), cfg.status(), steps.status(),
                          max_s.status(), max_gb.status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "engine_bench: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  o.contexts = *contexts;
  o.batches = *batches;
  o.decode_steps = std::max<int64_t>(2, quick && !args.Has("decode-steps") ? 4 : *steps);
  o.max_seconds = *max_s;
  o.max_gb = *max_gb;
  o.prefill = args.Get("phases").find("prefill") != std::string::npos;
  o.decode = args.Get("phases").find("decode") != std::string::npos;
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf("OPENBLAS_CORETYPE=%s\nBLAS: %s\n", coretype ? coretype : "(unset)",
              kernels::BlasInfo().c_str());
  const std::string warning = kernels::BlasCoreWarning();
  if (!warning.empty()) std::printf("WARNING: %s\n", warning.c_str());
  const int peak_n = quick ? 1024 : 2048;
  o.peak = MeasurePeak(peak_n);
  std::printf("sgemm peak (%dx%dx%d, best of 3): %.1f GFLOP/s\n", peak_n, peak_n, peak_n, o.peak);
  std::printf("load average at start: %s (the CPU may be shared; wall-clock numbers)\n",
              LoadAverage().c_str());
  std::printf("size=%s decode_steps=%lld max_seconds=%.0f max_gb=%.1f\n\n", args.Get("size").c_str(),
              static_cast<long long>(o.decode_steps), o.max_seconds, o.max_gb);
  std::printf("| model    | phase   | batch |    ctx |   tokens/s |  GFLOP/s | %%peak | time\n");
  std::printf("|----------|---------|-------|--------|------------|----------|--------|------\n");
  const std::string models = args.Get("models");
  for (const char* name : {"hybrid", "softmax"}) {
    if (models.find(name) == std::string::npos) continue;
    ModelConfig c = *cfg;
    SetPattern(&c, std::string(name) == "hybrid");
    BenchModel(name, c, o);
  }
  std::printf("\nload average at end: %s\n", LoadAverage().c_str());
  return 0;
}

}  // namespace
}  // namespace rl

int main(int argc, char** argv) { return rl::Main(argc, argv); }
