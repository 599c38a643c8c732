// The model as the scheduler sees it: numbered slots, each holding one sequence's decode
// state; a prompt prefill per slot and one batched decode step over many slots. The
// production implementation wraps rl::model (model_backend.h); tests may plug in a small
// deterministic stand-in. Not thread-safe: the scheduler calls it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "rl/core/status.h"
#include "rl/model/params.h"

namespace rl::rollout {

// A full parameter set at a version. config_json (a Hugging Face config.json) comes with
// the first update a model-less worker receives, or with a new architecture; empty = keep.
struct WeightUpdate {
  int64_t version = 0;
  std::string config_json;
  model::ParamMap params;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool has_model() const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_position() const = 0;
  virtual int64_t eos_token_id() const = 0;  // -1 when the model has none
  virtual int64_t num_parameters() const = 0;

  // Bytes a sequence of at most max_tokens positions holds while live (admission control).
  virtual int64_t StateBytes(int64_t max_tokens) const = 0;

  // Binds slot to a fresh sequence of capacity max_tokens, feeds prompt and writes the
  // logits (V) of its last token.
  virtual Status Start(int slot, int64_t max_tokens, std::span<const int32_t> prompt,
                       std::span<float> logits) = 0;

  // Feeds tokens[b] to slots[b] for every b; logits is (B, V). Slots were Start()ed.
  virtual Status Step(std::span<const int> slots, std::span<const int32_t> tokens,
                      std::span<float> logits) = 0;

  // The slot's sequence is over; its memory may be reused.
  virtual void Release(int slot) = 0;

  // True when applying update needs every slot released first (a new architecture).
  virtual bool NeedsRestart(const WeightUpdate& update) const = 0;
  // Replaces the parameter values (or the whole model when NeedsRestart). The update's
  // tensors may be moved from.
  virtual Status Apply(WeightUpdate& update) = 0;
};

}  // namespace rl::rollout
