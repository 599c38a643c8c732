// Throughput of checkpoint reading, tokenization and sampling (Google Benchmark; prints a
// table, asserts nothing). Run: build/bench/io/io_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "rl/io/safetensors.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/sampling.h"

namespace {

std::string WriteFile(rl::io::DType dtype, int64_t n) {
  static std::vector<float> data;
  data.resize(static_cast<size_t>(n));
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  for (auto& x : data) x = g(rng);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rl_io_bench_" + std::string(rl::io::DTypeName(dtype)) + ".safetensors")).string();
  std::vector<rl::io::TensorToWrite> ts = {{"w", {n}, data}};
  if (!rl::io::WriteSafetensors(path, ts, dtype).ok()) std::abort();
  return path;
}

void BM_SafetensorsRead(benchmark::State& state, rl::io::DType dtype) {
  const int64_t n = 16 << 20;  // 16 Mi floats
  std::string path = WriteFile(dtype, n);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto _ : state) {
    auto r = rl::io::SafetensorsReader::Open(path);
    if (!r.ok() || !(*r)->ReadFloat(*(*r)->Find("w"), out).ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(rl::io::DTypeSize(dtype)));
  state.counters["Mparams/s"] = benchmark::Counter(static_cast<double>(state.iterations() * n) / 1e6,
                                                   benchmark::Counter::kIsRate);
  std::filesystem::remove(path);
}
BENCHMARK_CAPTURE(BM_SafetensorsRead, f32, rl::io::DType::kF32)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SafetensorsRead, bf16, rl::io::DType::kBF16)->Unit(benchmark::kMillisecond);

void BM_Encode(benchmark::State& state) {
  auto tok = rl::tokenizer::Tokenizer::FromJson(rl::tokenizer::DefaultTokenizerJson());
  std::string text;
  std::mt19937 rng(2);
  const char* words[] = {"the", "and", "of", "thinking", "is", "12", "+", "34", "=", "answer",
                         "\n", "<think>", "reasoning", "wait,", "maybe", "é", "数学"};
  while (text.size() < (1 << 20)) {
    text += words[rng() % 17];
    text += ' ';
  }
  size_t tokens = 0;
  for (auto _ : state) tokens = (*tok)->Encode(text).size();
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations() * tokens),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Encode)->Unit(benchmark::kMillisecond);

void BM_Sample(benchmark::State& state) {
  const int64_t V = state.range(0);
  std::vector<float> z(static_cast<size_t>(V));
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  for (auto& x : z) x = 6 * g(rng);  // a peaked distribution, like a trained LM head
  rl::rollout::SamplingParams p;
  p.top_k = state.range(1);
  p.top_p = state.range(2) / 100.0;
  rl::rollout::Sampler s(V);
  rl::rollout::SequenceRng r(1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(s.Sample(z, p, r));
}
BENCHMARK(BM_Sample)
    ->ArgNames({"V", "top_k", "top_p%"})
    ->Args({512, 0, 100})
    ->Args({200064, 0, 100})
    ->Args({200064, 50, 100})
    ->Args({200064, 0, 95})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
