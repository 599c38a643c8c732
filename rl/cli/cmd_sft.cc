// `rl sft CONFIG [--set k=v] [--resume] [--threads N]`: supervised fine-tuning (the cold
// start) from the JSONL file sft.data into the checkpoint directory sft.output. Progress on
// stderr: "step S/N loss L tokens/s X ETA h:mm:ss"; the output directory on stdout.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "learner/options_from_config.h"
#include "learner/sft_data.h"
#include "learner/trainer.h"
#include "rl/cli/command.h"
#include "rl/config/config.h"
#include "rl/model/checkpoint.h"
#include "rl/model/hf_config.h"
#include "rl/tasks/chat_template.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl::cli {
namespace {

std::string Eta(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

StatusOr<learner::LearnerOptions> OptionsFrom(const config::RunConfig& cfg, int threads) {
  RL_ASSIGN_OR_RETURN(learner::LearnerOptions o, learner::LearnerOptionsFromConfig(cfg));
  o.adamw.lr = cfg.sft.lr;
  o.schedule.total_steps = cfg.sft.steps;
  o.updates_per_batch = 1;
  o.recompute = cfg.sft.recompute;
  o.num_threads = threads;
  return o;
}

// prompt → chat template (rl/tasks/chat_template.h) → ids; response → ids (special tokens
// such as </think> parsed) + the end-of-turn token (<|im_end|>, else <|endoftext|>) unless the
// response already ends with it.
learner::SftEncoding EncodingFor(std::shared_ptr<const tokenizer::Tokenizer> tok,
                                 int64_t vocab_size, int64_t max_tokens) {
  learner::SftEncoding enc;
  std::optional<int32_t> end = tok->TokenId(tasks::kImEnd);
  if (!end) end = tok->TokenId(tokenizer::kEndOfText);
  enc.prompt = [tok](const std::string& s) { return tok->Encode(tasks::ApplyChatTemplate(s)); };
  enc.response = [tok, end](const std::string& s) {
    std::vector<int32_t> ids = tok->Encode(s, /*parse_special=*/true);
    if (end && (ids.empty() || ids.back() != *end)) ids.push_back(*end);
    return ids;
  };
  enc.vocab_size = vocab_size;
  enc.max_tokens = max_tokens;
  return enc;
}

}  // namespace

int RunSft(const Args& args) {
  ArgParser p("rl sft", "Supervised fine-tuning from JSONL {prompt, response} into a checkpoint.");
  p.Positional("CONFIG", "YAML config: model, optimizer and sft sections (see docs/config.md)");
  p.RepeatedOption("set", "PATH=VALUE", "override one key, e.g. --set sft.steps=20");
  p.Flag("resume", "continue from sft.output if it holds a checkpoint");
  p.Option("threads", "N", "OpenBLAS threads (0 = default)", "0");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  std::vector<config::Override> overrides;
  for (const auto& s : p.GetAll("set")) {
    auto o = config::ParseOverride(s);
    if (!o.ok()) return Fail(o.status());
    overrides.push_back(*o);
  }
  auto cfg = config::LoadConfigFile(p.positional("CONFIG"), overrides);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 1;
  }
  if (cfg->sft.data.empty())
    return Fail(absl::InvalidArgumentError("sft.data: no JSONL file given"));
  const std::string out = cfg->sft.output.empty() ? config::RunDir(*cfg) + "/sft" : cfg->sft.output;
  auto threads = p.GetInt("threads");
  if (!threads.ok()) return Fail(threads.status());
  auto opts = OptionsFrom(*cfg, static_cast<int>(*threads));
  if (!opts.ok()) return Fail(opts.status());

  std::unique_ptr<learner::Learner> l;
  if (p.GetFlag("resume") && std::filesystem::exists(out + "/learner_state.bin")) {
    auto r = learner::Learner::Restore(out, *opts);
    if (!r.ok()) return Fail(r.status());
    l = std::move(*r);
    std::cerr << "rl sft: resumed " << out << " at step " << l->step() << "\n";
  } else {
    model::ModelConfig mc;
    model::ParamMap params;
    std::string tokenizer_json;
    if (!cfg->model.checkpoint.empty()) {
      auto ck = model::LoadCheckpoint(cfg->model.checkpoint);
      if (!ck.ok()) return Fail(ck.status());
      mc = ck->config;
      params = std::move(ck->params);
      tokenizer_json = std::move(ck->tokenizer_json);
    } else {
      auto m = model::ModelConfigFromArch(cfg->model.arch);
      if (!m.ok()) return Fail(m.status());
      mc = *m;
      params = model::InitParams(mc, static_cast<uint64_t>(cfg->run.seed));
    }
    auto r = learner::Learner::Create(mc, std::move(params), *opts);
    if (!r.ok()) return Fail(r.status());
    l = std::move(*r);
    l->set_tokenizer_json(std::move(tokenizer_json));
  }
  // Tokenizer: model.tokenizer, else the checkpoint's tokenizer.json, else the default one.
  if (!cfg->model.tokenizer.empty()) {
    std::ifstream f(cfg->model.tokenizer);
    if (!f)
      return Fail(absl::NotFoundError("model.tokenizer: cannot open " + cfg->model.tokenizer));
    std::stringstream ss;
    ss << f.rdbuf();
    l->set_tokenizer_json(ss.str());
  } else if (l->tokenizer_json().empty()) {
    l->set_tokenizer_json(tokenizer::DefaultTokenizerJson());
  }
  auto tok = tokenizer::Tokenizer::FromJson(
      l->tokenizer_json(), cfg->model.tokenizer.empty() ? "tokenizer.json" : cfg->model.tokenizer);
  if (!tok.ok()) return Fail(tok.status());
  if ((*tok)->vocab_size() > l->config().vocab_size) {
    return Fail(absl::InvalidArgumentError("tokenizer has " + std::to_string((*tok)->vocab_size()) +
                                           " tokens but the model's vocab_size is " +
                                           std::to_string(l->config().vocab_size)));
  }
  const auto enc = EncodingFor(std::shared_ptr<const tokenizer::Tokenizer>(std::move(*tok)),
                               l->config().vocab_size,
                               std::min(cfg->sft.max_example_tokens, cfg->sft.batch_tokens));
  auto examples = learner::LoadSftJsonl(cfg->sft.data, enc);
  if (!examples.ok()) return Fail(examples.status());

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t first = l->step(), total = cfg->sft.steps;
  for (int64_t step = first; step < total; ++step) {
    int64_t cursor = l->data_cursor();
    learner::PackedSequences batch = learner::PackSft(*examples, cfg->sft.batch_tokens, &cursor);
    auto m = l->SftStep(batch);
    if (!m.ok()) return Fail(m.status());
    l->set_data_cursor(cursor);
    const int64_t done = step + 1;
    if (done % cfg->sft.log_every == 0 || done == total) {
      const double el =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = el / static_cast<double>(done - first) * static_cast<double>(total - done);
      std::fprintf(stderr, "step %lld/%lld loss %.4f tokens/s %.0f ETA %s\n",
                   static_cast<long long>(done), static_cast<long long>(total), m->at("train/loss"),
                   m->at("train/tokens_per_s"), Eta(eta).c_str());
    }
    if (cfg->sft.save_every > 0 && done % cfg->sft.save_every == 0 && done < total) {
      if (Status st = l->Save(out); !st.ok()) return Fail(st);
    }
  }
  if (Status st = l->Save(out); !st.ok()) return Fail(st);
  std::cout << out << "\n";
  return 0;
}

}  // namespace rl::cli
