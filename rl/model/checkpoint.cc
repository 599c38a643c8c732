#include "rl/model/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rl/io/sharded.h"
#include "rl/model/hf_config.h"

namespace rl::model {
namespace {

namespace fs = std::filesystem;

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// "model.layers.12.mlp.experts.down_proj" → layer 12 and the rest "mlp.experts.down_proj".
bool SplitLayerName(const std::string& name, int64_t* layer, std::string* rest) {
  static const std::string kPrefix = "model.layers.";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  size_t dot = name.find('.', kPrefix.size());
  if (dot == std::string::npos || dot == kPrefix.size()) return false;
  int64_t v = 0;
  for (size_t i = kPrefix.size(); i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  *layer = v;
  *rest = name.substr(dot + 1);
  return true;
}

std::string LayerPrefix(int64_t i) { return "model.layers." + std::to_string(i) + "."; }

bool IsIgnoredBuffer(const std::string& rest) {
  for (const char* b : {"self_attn.slope_rate", "self_attn.query_decay", "self_attn.key_decay",
                        "self_attn.diagonal_decay", "self_attn.rotary_emb.inv_freq"}) {
    if (rest == b) return true;
  }
  return false;
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Splits a fused expert tensor of shape [E, rows, C] along rows into per-expert pieces.
Status SplitFused(const std::string& file, const std::string& name, const std::vector<float>& data,
                  const std::vector<int64_t>& shape, const std::vector<int64_t>& want,
                  const std::vector<std::pair<std::string, int64_t>>& parts,  // suffix, rows
                  int64_t layer, ParamMap& out) {
  if (shape != want) {
    return absl::InvalidArgumentError(file + ": tensor '" + name + "' has shape " + ShapeString(shape) +
                                      ", expected " + ShapeString(want));
  }
  const int64_t E = want[0], R = want[1], C = want[2];
  for (int64_t e = 0; e < E; ++e) {
    int64_t row = 0;
    for (const auto& [suffix, rows] : parts) {
      Tensor t;
      t.shape = {rows, C};
      const float* src = data.data() + (e * R + row) * C;
      t.data.assign(src, src + rows * C);
      out[LayerPrefix(layer) + "block_sparse_moe.experts." + std::to_string(e) + "." + suffix] = std::move(t);
      row += rows;
    }
  }
  return absl::OkStatus();
}

}  // namespace

int64_t CountParams(const ParamMap& params) {
  int64_t n = 0;
  for (const auto& [name, t] : params) n += t.numel();
  return n;
}

StatusOr<Checkpoint> LoadCheckpoint(const std::string& dir) {
  Checkpoint ck;
  RL_ASSIGN_OR_RETURN(ck.config, LoadHfConfig((fs::path(dir) / "config.json").string()));
  RL_ASSIGN_OR_RETURN(io::CheckpointWeights weights, io::CheckpointWeights::Open(dir));
  const ModelConfig& c = ck.config;
  const auto expected = ExpectedParamShapes(c);
  const int64_t E = c.num_experts, I = c.intermediate_size, C = c.hidden_size;
  for (const auto& [name, loc] : weights.tensors()) {
    const std::string& file = loc.reader->path();
    const std::vector<int64_t>& shape = loc.entry->shape;
    std::vector<float> data(static_cast<size_t>(loc.entry->numel()));
    int64_t layer = -1;
    std::string rest;
    const bool in_layer = SplitLayerName(name, &layer, &rest);
    if (in_layer && IsIgnoredBuffer(rest)) continue;
    if (name == "lm_head.weight" && c.tie_word_embeddings) continue;
    if (in_layer && layer >= c.num_layers) {
      return absl::InvalidArgumentError(file + ": tensor '" + name + "' is for layer " + std::to_string(layer) +
                                        " but the config has " + std::to_string(c.num_layers) + " layers");
    }
    std::string target = name;
    if (in_layer && rest == "mlp.gate.weight") target = LayerPrefix(layer) + "block_sparse_moe.gate.weight";
    if (in_layer && (rest == "mlp.experts.gate_up_proj" || rest == "mlp.experts.down_proj")) {
      RL_RETURN_IF_ERROR(loc.reader->ReadFloat(*loc.entry, data));
      if (rest == "mlp.experts.gate_up_proj") {
        RL_RETURN_IF_ERROR(SplitFused(file, name, data, shape, {E, 2 * I, C},
                                      {{"w1.weight", I}, {"w3.weight", I}}, layer, ck.params));
      } else {
        // down_proj [E, C, I]: each expert's slice is w2 [C, I] as is.
        std::vector<int64_t> want = {E, C, I};
        if (shape != want) {
          return absl::InvalidArgumentError(file + ": tensor '" + name + "' has shape " + ShapeString(shape) +
                                            ", expected " + ShapeString(want));
        }
        for (int64_t e = 0; e < E; ++e) {
          Tensor t;
          t.shape = {C, I};
          t.data.assign(data.begin() + e * C * I, data.begin() + (e + 1) * C * I);
          ck.params[LayerPrefix(layer) + "block_sparse_moe.experts." + std::to_string(e) + ".w2.weight"] =
              std::move(t);
        }
      }
      continue;
    }
    auto it = expected.find(target);
    if (it == expected.end()) {
      return absl::InvalidArgumentError(file + ": unexpected tensor '" + name +
                                        "' (not part of this architecture)");
    }
    if (shape != it->second) {
      return absl::InvalidArgumentError(file + ": tensor '" + name + "' has shape " + ShapeString(shape) +
                                        ", config.json implies " + ShapeString(it->second));
    }
    if (ck.params.count(target)) {
      return absl::InvalidArgumentError(file + ": tensor '" + target + "' appears in both weight layouts");
    }
    RL_RETURN_IF_ERROR(loc.reader->ReadFloat(*loc.entry, data));
    ck.params[target] = Tensor{shape, std::move(data)};
  }
  Status st = CheckParams(c, ck.params);
  if (!st.ok()) return absl::Status(st.code(), dir + ": " + std::string(st.message()));
  const fs::path tok = fs::path(dir) / "tokenizer.json";
  if (fs::exists(tok)) {
    RL_ASSIGN_OR_RETURN(ck.tokenizer_json, ReadText(tok.string()));
  }
  return ck;
}

Status SaveCheckpoint(const std::string& dir, const ModelConfig& config, const ParamMap& params,
                      const SaveOptions& options) {
  RL_RETURN_IF_ERROR(CheckParams(config, params));
  const WeightLayout layout = options.layout.value_or(
      config.dialect == "transformers" ? WeightLayout::kFused : WeightLayout::kOriginal);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(dir + ": cannot create: " + ec.message());
  RL_RETURN_IF_ERROR(SaveHfConfig((fs::path(dir) / "config.json").string(), config));

  std::vector<io::TensorToWrite> out;
  std::vector<std::vector<float>> fused;  // owns the concatenated expert tensors
  fused.reserve(static_cast<size_t>(2 * config.num_layers));
  const int64_t E = config.num_experts, I = config.intermediate_size, C = config.hidden_size;
  for (const auto& [name, t] : params) {
    int64_t layer;
    std::string rest;
    if (layout == WeightLayout::kFused && SplitLayerName(name, &layer, &rest)) {
      if (rest == "block_sparse_moe.gate.weight") {
        out.push_back({LayerPrefix(layer) + "mlp.gate.weight", t.shape, t.data});
        continue;
      }
      if (rest.rfind("block_sparse_moe.experts.", 0) == 0) continue;  // written fused below
    }
    out.push_back({name, t.shape, t.data});
  }
  if (layout == WeightLayout::kFused) {
    for (int64_t i = 0; i < config.num_layers; ++i) {
      const std::string p = LayerPrefix(i) + "block_sparse_moe.experts.";
      auto& gate_up = fused.emplace_back();
      auto& down = fused.emplace_back();
      gate_up.reserve(static_cast<size_t>(E * 2 * I * C));
      down.reserve(static_cast<size_t>(E * C * I));
      for (int64_t e = 0; e < E; ++e) {
        const std::string q = p + std::to_string(e) + ".";
        const auto& w1 = params.at(q + "w1.weight").data;
        const auto& w3 = params.at(q + "w3.weight").data;
        const auto& w2 = params.at(q + "w2.weight").data;
        gate_up.insert(gate_up.end(), w1.begin(), w1.end());
        gate_up.insert(gate_up.end(), w3.begin(), w3.end());
        down.insert(down.end(), w2.begin(), w2.end());
      }
      out.push_back({LayerPrefix(i) + "mlp.experts.gate_up_proj", {E, 2 * I, C}, gate_up});
      out.push_back({LayerPrefix(i) + "mlp.experts.down_proj", {E, C, I}, down});
    }
  }
  RL_RETURN_IF_ERROR(io::WriteCheckpointWeights(dir, out, options.dtype, options.max_shard_bytes,
                                                {{"format", "pt"}}));
  if (!options.tokenizer_json.empty()) {
    const std::string path = (fs::path(dir) / "tokenizer.json").string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << options.tokenizer_json;
    f.flush();
    if (!f) return absl::UnavailableError(path + ": write failed");
  }
  return absl::OkStatus();
}

}  // namespace rl::model
