#include "rollout/model_backend.h"

#include <algorithm>
#include <string>
#include <utility>

#include "rl/model/checkpoint.h"
#include "rl/model/hf_config.h"

namespace rl::rollout {

ModelBackend::ModelBackend(std::unique_ptr<model::Model> model, int max_slots, int num_threads)
    : max_slots_(max_slots), num_threads_(num_threads) {
  states_.resize(static_cast<size_t>(max_slots));
  step_states_.reserve(static_cast<size_t>(max_slots));
  Rebuild(std::move(model));
}

ModelBackend::~ModelBackend() = default;

void ModelBackend::Rebuild(std::unique_ptr<model::Model> model) {
  for (auto& s : states_) s.reset();
  model_ = std::move(model);
  ws_.reset();
  if (model_ != nullptr) ws_ = std::make_unique<model::Workspace>(model_->config(), max_slots_);
}

StatusOr<std::unique_ptr<ModelBackend>> ModelBackend::FromCheckpoint(const std::string& dir,
                                                                     int max_slots,
                                                                     int num_threads) {
  RL_ASSIGN_OR_RETURN(model::Checkpoint ckpt, model::LoadCheckpoint(dir));
  RL_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> m,
                      model::Model::Create(ckpt.config, std::move(ckpt.params), num_threads));
  return std::make_unique<ModelBackend>(std::move(m), max_slots, num_threads);
}

int64_t ModelBackend::StateBytesFor(const model::ModelConfig& c, int64_t max_tokens) {
  int64_t lightning = 0, softmax = 0;
  for (model::LayerType t : c.layer_types)
    (t == model::LayerType::kLightning ? lightning : softmax)++;
  const int64_t per_lightning = c.num_heads * c.head_dim * c.head_dim * 4;
  const int64_t per_softmax = 2 * max_tokens * c.num_kv_heads * c.head_dim * 4;
  return lightning * per_lightning + softmax * per_softmax;
}

int64_t ModelBackend::vocab_size() const { return model_ ? model_->config().vocab_size : 0; }
int64_t ModelBackend::max_position() const { return model_ ? model_->config().max_position : 0; }
int64_t ModelBackend::eos_token_id() const { return model_ ? model_->config().eos_token_id : -1; }

int64_t ModelBackend::num_parameters() const {
  if (!model_) return 0;
  int64_t n = 0;
  for (const auto& [name, t] : model_->params()) n += t.numel();
  return n;
}

int64_t ModelBackend::StateBytes(int64_t max_tokens) const {
  return model_ ? StateBytesFor(model_->config(), max_tokens) : 0;
}

Status ModelBackend::Start(int slot, int64_t max_tokens, std::span<const int32_t> prompt,
                           std::span<float> logits) {
  if (!model_) return absl::FailedPreconditionError("no model loaded");
  auto& s = states_.at(static_cast<size_t>(slot));
  s = std::make_unique<model::DecodeState>(model_->config(), max_tokens);
  return model::Prefill(*model_, prompt, s.get(), logits);
}

Status ModelBackend::Step(std::span<const int> slots, std::span<const int32_t> tokens,
                          std::span<float> logits) {
  if (!model_) return absl::FailedPreconditionError("no model loaded");
  step_states_.clear();
  for (int slot : slots) {
    model::DecodeState* s = states_.at(static_cast<size_t>(slot)).get();
    if (s == nullptr)
      return absl::InternalError("decode step on free slot " + std::to_string(slot));
    step_states_.push_back(s);
  }
  return model::DecodeStep(*model_, step_states_, tokens, ws_.get(), logits);
}

void ModelBackend::Release(int slot) { states_.at(static_cast<size_t>(slot)).reset(); }

std::string ModelBackend::config_json() const {
  if (!model_) return "";
  auto j = model::HfConfigToJson(model_->config());
  return j.ok() ? *j : "";
}

bool ModelBackend::NeedsRestart(const WeightUpdate& update) const {
  if (!model_) return true;
  if (update.config_json.empty()) return false;
  auto parsed = model::ParseHfConfig(update.config_json, "weight update config_json");
  if (!parsed.ok()) return false;  // Apply reports the error without touching live sequences
  auto a = model::HfConfigToJson(*parsed);
  return !a.ok() || *a != config_json();
}

Status ModelBackend::Apply(WeightUpdate& update) {
  const std::string where = "weight update v" + std::to_string(update.version) + ": ";
  if (!update.config_json.empty()) {
    auto parsed = model::ParseHfConfig(update.config_json, "weight update config_json");
    if (!parsed.ok())
      return Status(parsed.status().code(), where + std::string(parsed.status().message()));
  }
  if (NeedsRestart(update)) {
    if (update.config_json.empty()) {
      return absl::FailedPreconditionError(
          where + "the worker has no model: the first update must carry config_json");
    }
    RL_ASSIGN_OR_RETURN(model::ModelConfig config,
                        model::ParseHfConfig(update.config_json, "weight update config_json"));
    auto m = model::Model::Create(config, std::move(update.params), num_threads_);
    if (!m.ok()) return Status(m.status().code(), where + std::string(m.status().message()));
    Rebuild(std::move(m).value());
    return absl::OkStatus();
  }
  Status st = model::CheckParams(model_->config(), update.params);
  if (!st.ok()) return Status(st.code(), where + std::string(st.message()));
  // Same names and shapes: copy values into the storage the model's pointers refer to.
  model::ParamMap& live = model_->mutable_params();
  for (auto& [name, t] : update.params) {
    model::Tensor& dst = live.at(name);
    std::copy(t.data.begin(), t.data.end(), dst.data.begin());
  }
  return absl::OkStatus();
}

}  // namespace rl::rollout
