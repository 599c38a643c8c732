// `rl model init` (a randomly initialised checkpoint from an architecture YAML, with the
// embedded tokenizer) and `rl model info` (what a checkpoint directory holds).
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "rl/cli/command.h"
#include "rl/config/config.h"
#include "rl/config/yaml_visitors.h"
#include "rl/io/sharded.h"
#include "rl/model/checkpoint.h"
#include "rl/model/hf_config.h"
#include "rl/tokenizer/default_tokenizer.h"
#include "rl/tokenizer/tokenizer.h"

namespace rl::cli {
namespace {

namespace fs = std::filesystem;

// FILE is a run config (has a `model:` section: model.arch is used) or a YAML holding the
// model.arch keys at its top level.
StatusOr<config::ArchSection> LoadArch(const std::string& path) {
  if (path.empty()) return config::ArchSection{};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(path + ": cannot open");
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(path + ": YAML error: " + e.msg);
  }
  if (root.IsMap() && root["model"]) {
    RL_ASSIGN_OR_RETURN(config::RunConfig cfg, config::LoadConfigFile(path));
    return cfg.model.arch;
  }
  if (!root.IsDefined() || root.IsNull()) return config::ArchSection{};
  if (!root.IsMap()) return absl::InvalidArgumentError(path + ":1:1: expected a map of model.arch keys");
  config::LoadContext ctx;
  ctx.file = path;
  config::ArchSection arch;
  try {
    config::YamlLoader::LoadSection(root, "", arch, &ctx);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(path + ": YAML error: " + e.msg);
  }
  if (!ctx.errors.empty()) {
    std::string msg;
    for (const auto& e : ctx.errors) msg += (msg.empty() ? "" : "\n") + e.ToString();
    return absl::InvalidArgumentError(msg);
  }
  return arch;
}

std::string Human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

std::string LayerPattern(const model::ModelConfig& c) {
  std::string s;
  for (size_t i = 0; i < c.layer_types.size(); ++i) {
    s += (i ? " " : "") + std::string(c.layer_types[i] == model::LayerType::kLightning ? "L" : "S");
  }
  return s;
}

}  // namespace

int RunModelInit(const Args& args) {
  ArgParser p("rl model init",
              "Write a randomly initialised checkpoint (config.json, model.safetensors, tokenizer.json).");
  p.Option("arch", "FILE", "YAML with the model.arch keys, or a run config (default: the embedded default arch)");
  p.Option("out", "DIR", "checkpoint directory to write");
  p.Option("seed", "S", "initialisation seed", "0");
  p.Option("dtype", "f32|bf16", "stored weight type", "f32");
  p.Option("dialect", "original|transformers", "config.json keys and expert layout", "original");
  p.Option("shard-mb", "N", "split the weights into shards of at most N MiB (0 = one file)", "0");
  p.Flag("no-tokenizer", "do not write the embedded tokenizer.json");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (!p.Has("out")) {
    std::cerr << "rl model init: --out DIR is required\n";
    return 2;
  }
  auto seed = p.GetInt("seed");
  auto shard_mb = p.GetInt("shard-mb");
  if (!seed.ok()) return Fail(seed.status());
  if (!shard_mb.ok()) return Fail(shard_mb.status());
  const std::string dtype = p.Get("dtype"), dialect = p.Get("dialect");
  if (dtype != "f32" && dtype != "bf16") return Fail(absl::InvalidArgumentError("--dtype must be f32 or bf16"));
  if (dialect != "original" && dialect != "transformers") {
    return Fail(absl::InvalidArgumentError("--dialect must be original or transformers"));
  }
  auto arch = LoadArch(p.Get("arch"));
  if (!arch.ok()) return Fail(arch.status());
  auto cfg = model::ModelConfigFromArch(*arch);
  if (!cfg.ok()) return Fail(cfg.status());
  cfg->dialect = dialect;
  model::SaveOptions opt;
  opt.dtype = dtype == "bf16" ? io::DType::kBF16 : io::DType::kF32;
  opt.max_shard_bytes = static_cast<uint64_t>(*shard_mb) << 20;
  if (!p.GetFlag("no-tokenizer")) {
    opt.tokenizer_json = tokenizer::DefaultTokenizerJson();
    auto tok = tokenizer::Tokenizer::FromJson(opt.tokenizer_json, "embedded tokenizer");
    if (!tok.ok()) return Fail(tok.status());
    if ((*tok)->vocab_size() > cfg->vocab_size) {
      return Fail(absl::InvalidArgumentError(
          "vocab_size " + std::to_string(cfg->vocab_size) + " is smaller than the embedded tokenizer's " +
          std::to_string((*tok)->vocab_size()) + " tokens; raise it or pass --no-tokenizer"));
    }
    cfg->eos_token_id = *(*tok)->TokenId(tokenizer::kImEnd);
  }
  model::ParamMap params = model::InitParams(*cfg, static_cast<uint64_t>(*seed));
  Status st = model::SaveCheckpoint(p.Get("out"), *cfg, params, opt);
  if (!st.ok()) return Fail(st);
  const int64_t n = model::CountParams(params);
  std::cout << p.Get("out") << ": " << n << " parameters (" << cfg->num_layers << " layers: "
            << LayerPattern(*cfg) << "), " << dtype << ", " << dialect << " dialect"
            << (opt.tokenizer_json.empty() ? "" : ", embedded tokenizer") << "\n";
  return 0;
}

int RunModelInfo(const Args& args) {
  ArgParser p("rl model info", "Describe a checkpoint directory: layers, parameters, memory.");
  p.Positional("DIR", "checkpoint directory (config.json + model.safetensors)");
  p.Flag("check", "also read every tensor (validates names, shapes and data)");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  const std::string dir = p.positional("DIR");
  auto cfg = model::LoadHfConfig((fs::path(dir) / "config.json").string());
  if (!cfg.ok()) return Fail(cfg.status());
  auto weights = io::CheckpointWeights::Open(dir);
  if (!weights.ok()) return Fail(weights.status());
  const model::ModelConfig& c = *cfg;
  int64_t total = 0, experts = 0;
  for (const auto& [name, shape] : model::ExpectedParamShapes(c)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    total += n;
    if (name.find(".experts.") != std::string::npos) experts += n;
  }
  std::map<std::string, int64_t> stored;  // dtype → tensors
  int64_t stored_bytes = 0;
  for (const auto& [name, loc] : weights->tensors()) {
    ++stored[std::string(io::DTypeName(loc.entry->dtype))];
    stored_bytes += static_cast<int64_t>(loc.entry->end - loc.entry->begin);
  }
  const int64_t active = total - experts + experts * c.experts_per_token / c.num_experts;
  std::ostringstream o;
  o << "checkpoint   " << dir << " (" << c.dialect << " dialect)\n";
  o << "vocab        " << c.vocab_size << "\n";
  o << "hidden       " << c.hidden_size << "\n";
  o << "layers       " << c.num_layers << ": " << LayerPattern(c) << "  (L = lightning, S = softmax)\n";
  for (int64_t i = 0; i < c.num_layers; ++i) {
    o << "  layer " << i << "  "
      << (c.layer_types[i] == model::LayerType::kLightning ? "lightning attention" : "softmax attention")
      << "\n";
  }
  o << "attention    heads " << c.num_heads << " × dim " << c.head_dim << ", kv heads " << c.num_kv_heads
    << ", rotary dim " << c.rotary_dim << ", rope theta " << c.rope_theta << "\n";
  o << "moe          experts " << c.num_experts << ", top-" << c.experts_per_token << ", intermediate "
    << c.intermediate_size << "\n";
  o << "residual     postnorm " << (c.postnorm ? "true" : "false") << ", alpha/beta lightning "
    << c.lightning_alpha << "/" << c.lightning_beta << ", softmax " << c.softmax_alpha << "/"
    << c.softmax_beta << ", mlp " << c.mlp_alpha << "/" << c.mlp_beta << "\n";
  o << "parameters   " << total << " (active per token " << active << ")\n";
  o << "memory       fp32 " << Human(4.0 * static_cast<double>(total)) << ", bf16 "
    << Human(2.0 * static_cast<double>(total)) << "\n";
  o << "stored       " << weights->files().size() << " file(s), " << Human(static_cast<double>(stored_bytes)) << ",";
  for (const auto& [dt, count] : stored) o << " " << count << " " << dt;
  o << " tensors\n";
  const fs::path tok = fs::path(dir) / "tokenizer.json";
  if (fs::exists(tok)) {
    auto t = tokenizer::Tokenizer::Load(tok.string());
    if (!t.ok()) return Fail(t.status());
    o << "tokenizer    " << (*t)->vocab_size() << " tokens\n";
  } else {
    o << "tokenizer    none\n";
  }
  std::cout << o.str();
  if (p.GetFlag("check")) {
    auto ck = model::LoadCheckpoint(dir);
    if (!ck.ok()) return Fail(ck.status());
    std::cout << "check        ok: every tensor read and matches config.json\n";
  }
  return 0;
}

}  // namespace rl::cli
