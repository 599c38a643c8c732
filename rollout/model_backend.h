// The production Backend: rl::model's forward (forward.h). One DecodeState per live slot,
// allocated at admission with capacity prompt + budget and freed at release (so the bytes
// the scheduler accounts are the bytes held); one Workspace sized for max_slots, so the
// batched decode step never allocates. Weight updates copy values into the model's
// parameter storage in place; a new architecture (config JSON that differs from the current
// one, or the first update of a worker started without a model) builds a new Model.
// Not thread-safe (driven by the scheduler's thread); the model's own compute threads
// (num_threads) are used inside each forward.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rl/model/forward.h"
#include "rollout/backend.h"

namespace rl::rollout {

class ModelBackend : public Backend {
 public:
  // model may be null: the backend waits for an update carrying config_json.
  ModelBackend(std::unique_ptr<model::Model> model, int max_slots, int num_threads);
  ~ModelBackend() override;

  // Loads a Hugging Face checkpoint directory (config.json + safetensors).
  static StatusOr<std::unique_ptr<ModelBackend>> FromCheckpoint(const std::string& dir,
                                                                int max_slots, int num_threads);

  // Bytes of one DecodeState of the given capacity under config.
  static int64_t StateBytesFor(const model::ModelConfig& config, int64_t max_tokens);

  bool has_model() const override { return model_ != nullptr; }
  int64_t vocab_size() const override;
  int64_t max_position() const override;
  int64_t eos_token_id() const override;
  int64_t num_parameters() const override;
  int64_t StateBytes(int64_t max_tokens) const override;
  Status Start(int slot, int64_t max_tokens, std::span<const int32_t> prompt,
               std::span<float> logits) override;
  Status Step(std::span<const int> slots, std::span<const int32_t> tokens,
              std::span<float> logits) override;
  void Release(int slot) override;
  bool NeedsRestart(const WeightUpdate& update) const override;
  Status Apply(WeightUpdate& update) override;

  const model::Model* model() const { return model_.get(); }
  std::string config_json() const;  // the current architecture as config.json ("" if none)

 private:
  void Rebuild(std::unique_ptr<model::Model> model);

  std::unique_ptr<model::Model> model_;
  int max_slots_;
  int num_threads_;
  std::unique_ptr<model::Workspace> ws_;
  std::vector<std::unique_ptr<model::DecodeState>> states_;  // per slot; null when free
  std::vector<model::DecodeState*> step_states_;
};

}  // namespace rl::rollout
