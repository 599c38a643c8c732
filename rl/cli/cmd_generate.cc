// `rl generate` (sample a continuation of a prompt from a checkpoint) and `rl score`
// (per-token log-probs of given sequences through the packed prefill).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "rl/cli/command.h"
#include "rl/model/checkpoint.h"
#include "rl/model/forward.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"
#include "rollout/sampling.h"

namespace rl::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Loaded {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // null when the checkpoint has none
};

StatusOr<Loaded> LoadModel(const std::string& dir, int threads) {
  RL_ASSIGN_OR_RETURN(model::Checkpoint ck, model::LoadCheckpoint(dir));
  Loaded out;
  if (!ck.tokenizer_json.empty()) {
    RL_ASSIGN_OR_RETURN(out.tokenizer, tokenizer::Tokenizer::FromJson(ck.tokenizer_json, dir + "/tokenizer.json"));
    if (out.tokenizer->vocab_size() > ck.config.vocab_size) {
      return absl::InvalidArgumentError(dir + ": tokenizer has " + std::to_string(out.tokenizer->vocab_size()) +
                                        " tokens but the model's vocab_size is " +
                                        std::to_string(ck.config.vocab_size));
    }
  }
  RL_ASSIGN_OR_RETURN(out.model, model::Model::Create(std::move(ck.config), std::move(ck.params), threads));
  return out;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int RunGenerate(const Args& args) {
  ArgParser p("rl generate", "Sample a continuation of a prompt (text on stdout, speed on stderr).");
  p.Option("model", "DIR", "checkpoint directory (with tokenizer.json)");
  p.Option("prompt", "TEXT", "the prompt");
  p.Option("max-tokens", "N", "tokens to generate at most", "64");
  p.Option("temperature", "T", "sampling temperature (0 = greedy)", "1.0");
  p.Option("top-p", "P", "nucleus mass", "1.0");
  p.Option("top-k", "K", "keep the K most likely tokens (0 = off)", "0");
  p.Option("min-p", "P", "drop tokens below P × the top probability", "0");
  p.Option("seed", "S", "sampling seed", "0");
  p.Option("threads", "N", "compute threads (0 = all cores)", "0");
  p.Flag("chat", "wrap the prompt in the chat template of the default model");
  p.Flag("ignore-eos", "do not stop at end-of-sequence tokens");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (!p.Has("model") || !p.Has("prompt")) {
    std::cerr << "rl generate: --model DIR and --prompt TEXT are required\n";
    return 2;
  }
  auto max_tokens = p.GetInt("max-tokens");
  auto top_k = p.GetInt("top-k");
  auto seed = p.GetInt("seed");
  auto threads = p.GetInt("threads");
  auto temperature = p.GetDouble("temperature");
  auto top_p = p.GetDouble("top-p");
  auto min_p = p.GetDouble("min-p");
  for (const Status& s : {max_tokens.status(), top_k.status(), seed.status(), threads.status(),
                          temperature.status(), top_p.status(), min_p.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (*max_tokens < 0) return Fail(absl::InvalidArgumentError("--max-tokens must be >= 0"));
  rollout::SamplingParams sp{*temperature, *top_p, *top_k, *min_p, 0};
  if (Status s = rollout::ValidateSamplingParams(sp); !s.ok()) return Fail(s);

  auto loaded = LoadModel(p.Get("model"), static_cast<int>(*threads));
  if (!loaded.ok()) return Fail(loaded.status());
  const model::Model& m = *loaded->model;
  const tokenizer::Tokenizer* tok = loaded->tokenizer.get();
  if (tok == nullptr) return Fail(absl::NotFoundError(p.Get("model") + ": no tokenizer.json"));
  // Ids past the tokenizer's vocabulary have no text (padded embedding rows): never sample them.
  sp.vocab_limit = tok->vocab_size();
  std::vector<int32_t> stop;
  if (m.config().eos_token_id >= 0) stop.push_back(static_cast<int32_t>(m.config().eos_token_id));
  for (const char* s : {tokenizer::kImEnd, tokenizer::kEndOfText}) {
    if (auto id = tok->TokenId(s)) stop.push_back(*id);
  }
  const std::string text = p.GetFlag("chat") ? tokenizer::ApplyChatTemplate(p.Get("prompt")) : p.Get("prompt");
  std::vector<int32_t> prompt = tok->Encode(text);
  if (prompt.empty()) return Fail(absl::InvalidArgumentError("the prompt encodes to no tokens"));

  const int64_t V = m.config().vocab_size;
  model::DecodeState state(m.config(), static_cast<int64_t>(prompt.size()) + *max_tokens);
  model::Workspace ws(m.config(), 1);
  std::vector<float> logits(static_cast<size_t>(V));
  const auto t0 = Clock::now();
  if (Status s = model::Prefill(m, prompt, &state, logits); !s.ok()) return Fail(s);
  const auto t1 = Clock::now();
  rollout::Sampler sampler(V);
  rollout::SequenceRng rng(static_cast<uint64_t>(*seed), 0);
  std::vector<int32_t> out;
  double sum_logprob = 0;
  model::DecodeState* states[1] = {&state};
  for (int64_t i = 0; i < *max_tokens; ++i) {
    auto s = sampler.Sample(logits, sp, rng);
    if (!s.ok()) return Fail(s.status());
    if (!p.GetFlag("ignore-eos") && std::find(stop.begin(), stop.end(), s->token) != stop.end()) break;
    out.push_back(s->token);
    sum_logprob += s->logprob;
    if (i + 1 == *max_tokens) break;
    int32_t next[1] = {s->token};
    if (Status st = model::DecodeStep(m, states, next, &ws, logits); !st.ok()) return Fail(st);
  }
  const auto t2 = Clock::now();
  std::cout << tok->Decode(out) << "\n";
  std::fprintf(stderr, "prompt %zu tokens in %.3f s (%.1f tok/s); generated %zu tokens in %.3f s (%.1f tok/s); "
               "mean log-prob %.4f\n",
               prompt.size(), Seconds(t0, t1), static_cast<double>(prompt.size()) / std::max(Seconds(t0, t1), 1e-9),
               out.size(), Seconds(t1, t2), static_cast<double>(out.size()) / std::max(Seconds(t1, t2), 1e-9),
               out.empty() ? 0.0 : sum_logprob / static_cast<double>(out.size()));
  return 0;
}

int RunScore(const Args& args) {
  ArgParser p("rl score",
              "Per-token log-probs of sequences: JSONL lines {\"tokens\":[…]} or {\"text\":…} → "
              "{\"tokens\":[…],\"logprobs\":[…]}, logprobs[t] = log p(tokens[t+1] | tokens[..t]).");
  p.Option("model", "DIR", "checkpoint directory");
  p.Option("jsonl", "FILE", "input lines");
  p.Option("temperature", "T", "score log softmax(z/T)", "1.0");
  p.Option("batch-tokens", "N", "tokens per packed prefill", "4096");
  p.Option("threads", "N", "compute threads (0 = all cores)", "0");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (!p.Has("model") || !p.Has("jsonl")) {
    std::cerr << "rl score: --model DIR and --jsonl FILE are required\n";
    return 2;
  }
  auto temperature = p.GetDouble("temperature");
  auto batch_tokens = p.GetInt("batch-tokens");
  auto threads = p.GetInt("threads");
  for (const Status& s : {temperature.status(), batch_tokens.status(), threads.status()}) {
    if (!s.ok()) return Fail(s);
  }
  if (!(*temperature > 0)) return Fail(absl::InvalidArgumentError("--temperature must be > 0"));
  const std::string file = p.Get("jsonl");
  std::ifstream in(file);
  if (!in) return Fail(absl::NotFoundError(file + ": cannot open"));
  auto loaded = LoadModel(p.Get("model"), static_cast<int>(*threads));
  if (!loaded.ok()) return Fail(loaded.status());
  const model::Model& m = *loaded->model;
  const int64_t V = m.config().vocab_size;

  std::vector<std::vector<int32_t>> pending;
  auto flush = [&]() -> Status {
    if (pending.empty()) return absl::OkStatus();
    std::vector<int32_t> tokens, targets;
    std::vector<int64_t> offsets = {0};
    for (const auto& seq : pending) {
      for (size_t t = 0; t < seq.size(); ++t) {
        tokens.push_back(seq[t]);
        targets.push_back(t + 1 < seq.size() ? seq[t + 1] : -1);
      }
      offsets.push_back(static_cast<int64_t>(tokens.size()));
    }
    std::vector<float> lp(tokens.size());
    RL_RETURN_IF_ERROR(model::PackedTokenLogProbs(m, model::PackedTokens{tokens, offsets}, targets,
                                                  static_cast<float>(*temperature), lp));
    for (size_t i = 0; i < pending.size(); ++i) {
      json o;
      o["tokens"] = pending[i];
      json l = json::array();
      for (int64_t t = offsets[i]; t + 1 < offsets[i + 1]; ++t) l.push_back(lp[t]);
      o["logprobs"] = l;
      std::cout << o.dump() << "\n";
    }
    pending.clear();
    return absl::OkStatus();
  };
  std::string line;
  int64_t lineno = 0, queued = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = file + ":" + std::to_string(lineno);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      return Fail(absl::InvalidArgumentError(where + ": not valid JSON: " + e.what()));
    }
    std::vector<int32_t> seq;
    if (j.is_object() && j.contains("tokens")) {
      if (!j["tokens"].is_array()) return Fail(absl::InvalidArgumentError(where + ": 'tokens' must be a list"));
      for (const auto& t : j["tokens"]) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= V) {
          return Fail(absl::InvalidArgumentError(where + ": token " + t.dump() + " is not an id in [0, " +
                                                 std::to_string(V) + ")"));
        }
        seq.push_back(t.get<int32_t>());
      }
    } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
      if (!loaded->tokenizer) return Fail(absl::NotFoundError(where + ": 'text' needs the checkpoint's tokenizer.json"));
      seq = loaded->tokenizer->Encode(j["text"].get<std::string>());
    } else {
      return Fail(absl::InvalidArgumentError(where + ": expected {\"tokens\": [...]} or {\"text\": \"...\"}"));
    }
    queued += static_cast<int64_t>(seq.size());
    pending.push_back(std::move(seq));
    if (queued >= *batch_tokens) {
      if (Status s = flush(); !s.ok()) return Fail(s);
      queued = 0;
    }
  }
  if (Status s = flush(); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace rl::cli
