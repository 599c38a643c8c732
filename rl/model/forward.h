// The MiniMax-Text-01 forward pass on the CPU: one Model (config + fp32 parameters with the
// original Hugging Face names, see params.h), and flat free functions over contiguous
// buffers (llm.c style) for the three ways it is run:
//
//   1. Packed prefill (learner, scoring): several sequences concatenated without padding,
//      sequence i = tokens[offsets[i], offsets[i+1]), each starting from an empty prefix.
//      ForwardPacked() saves what a backward needs (ForwardActivations);
//      PackedTokenLogProbs() returns log softmax(z/T)[target] per position, computing the
//      FP32 LM head in row chunks so the (T, V) logits are never held whole.
//   2. Generation: a DecodeState per sequence (D×D fp32 state per lightning head and a KV
//      cache for softmax layers, allocated up front for max_tokens positions). Prefill()
//      feeds a prompt (or any chunk) into a state, continuing from where it stands.
//   3. DecodeStep(): advances many sequences, each at its own position, by one token; the
//      projections/MoE/LM head run as GEMMs batched across the sequences. A Workspace
//      sized for max_batch is reused, so the decode loop never allocates.
//
// Construction:
//   ModelConfig config = ...;                 // from hf_config / YAML
//   ParamMap params = InitParams(config, 1);  // or loaded by rl/io
//   RL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Create(config, std::move(params)));
//
// Threads and ownership: a Model is immutable during forwards and may be shared by threads;
// each thread needs its own DecodeState/Workspace objects. Parameter VALUES may be
// changed in place between forwards (learner updates, weight publishing) through
// mutable_params(); shapes and the tensors' storage must not be reallocated (the model caches
// pointers). Every entry point sets flush-to-zero/denormals-are-zero in the calling thread.
// Log-probs of one logits row under temperature T: rl/kernels/log_softmax.h (TokenLogProb,
// LogSoftmaxTemperature), the function the sampler and the learner share.
// Errors (bad token ids, offsets, capacity overflow, sizes) come back as a Status.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "rl/core/status.h"
#include "rl/model/model_config.h"
#include "rl/model/params.h"

namespace rl::kernels {
class ParallelTeam;
}  // namespace rl::kernels

namespace rl::model {

struct LayerWeights;  // pointers into the ParamMap, per layer (forward_internal.h)

class Model {
 public:
  // Validates config and params (names and shapes, CheckParams) and takes the parameters.
  // num_threads: the model's compute team, the caller included (0 = hardware
  // concurrency): large GEMMs split by columns and attention heads/sequences run on it.
  // Switches OpenBLAS to single-threaded calls, process-wide (kernels/matmul.h).
  static StatusOr<std::unique_ptr<Model>> Create(ModelConfig config, ParamMap params,
                                                 int num_threads = 0);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  const ParamMap& params() const { return params_; }
  ParamMap& mutable_params() { return params_; }  // values only; see the header comment

  // Per layer (all L, softmax layers included): the lightning decay slope s_{h,l} for each
  // head (H entries, double, rl/kernels/decay.h); empty for softmax layers.
  const std::vector<double>& slopes(int64_t layer) const { return slopes_[layer]; }
  const LayerWeights& layer(int64_t l) const { return *layers_[l]; }
  const float* embedding() const { return embed_; }  // (V, C)
  const float* final_norm() const { return final_norm_; }  // (C)
  const float* lm_head() const { return lm_head_; }  // (V, C); the embedding when tied
  kernels::ParallelTeam* pool() const { return pool_.get(); }
  // Index of layer l among the lightning (or softmax) layers, for DecodeState buffers.
  int64_t type_index(int64_t l) const { return type_index_[l]; }

 private:
  Model() = default;
  ModelConfig config_;
  ParamMap params_;
  std::vector<std::vector<double>> slopes_;
  std::vector<std::unique_ptr<LayerWeights>> layers_;
  std::vector<int64_t> type_index_;
  const float* embed_ = nullptr;
  const float* final_norm_ = nullptr;
  const float* lm_head_ = nullptr;
  std::unique_ptr<kernels::ParallelTeam> pool_;
};

// ---- 1. Packed prefill ----------------------------------------------------------------

// Sequence i is tokens[offsets[i], offsets[i+1]); offsets[0] = 0, offsets.back() = T,
// non-decreasing (empty sequences allowed).
struct PackedTokens {
  std::span<const int32_t> tokens;   // (T)
  std::span<const int64_t> offsets;  // (N + 1)
};

// What a backward needs, saved by ForwardPacked. The learner recomputes a layer's internals
// from its input (activation checkpointing per layer); the final norm input/output are kept.
struct ForwardActivations {
  int64_t num_tokens = 0;            // T
  std::vector<float> layer_inputs;   // (L + 1, T, C): x entering layer l; [L] = last output
  std::vector<float> final_hidden;   // (T, C): RMSNorm_final(x_L), the LM head input
};

// Runs every layer and the final norm over a packed batch. acts is overwritten.
Status ForwardPacked(const Model& model, const PackedTokens& batch, ForwardActivations* acts);

// logits (rows, V) = hidden (rows, C) · lm_headᵀ, in FP32 (RECIPE: FP32 LM head).
void LmHead(const Model& model, const float* hidden, int64_t rows, float* logits);

// out[t] = log softmax(z_t / temperature)[targets[t]] over the FULL vocabulary, where z_t are
// the logits at position t; out[t] = 0 where targets[t] < 0 (not scored). Typical use:
// targets[t] = tokens[t + 1] inside a sequence's response, -1 elsewhere. T entries each.
Status PackedTokenLogProbs(const Model& model, const PackedTokens& batch,
                           std::span<const int32_t> targets, float temperature,
                           std::span<float> out);

// All logits (T, V) of a packed batch; for small models and tests.
Status PackedLogits(const Model& model, const PackedTokens& batch, std::vector<float>* logits);

// ---- 2. Decode state -------------------------------------------------------------------

// One sequence's recurrent state: per lightning layer (H, D, D) fp32 kv (kv_t of RECIPE),
// per softmax layer a K and V cache (capacity, KVH, D) with RoPE already applied to K.
// Allocated once; Reset() keeps the memory. Movable, not copyable (use CopyFrom to fork).
class DecodeState {
 public:
  DecodeState(const ModelConfig& config, int64_t max_tokens);
  DecodeState(DecodeState&&) = default;
  DecodeState& operator=(DecodeState&&) = default;

  int64_t position() const { return position_; }  // tokens consumed so far
  int64_t capacity() const { return capacity_; }
  void Reset();                                   // empty prefix; zeroes the lightning states
  void CopyFrom(const DecodeState& other);        // same config; capacity >= other.position()

  float* lightning_kv(int64_t lightning_index);   // (H, D, D)
  float* k_cache(int64_t softmax_index);          // (capacity, KVH, D)
  float* v_cache(int64_t softmax_index);          // (capacity, KVH, D)
  void Advance(int64_t n) { position_ += n; }     // used by the forward
  float* attention_scratch() { return scores_.data(); }  // (H, capacity) decode scores

 private:
  int64_t H_ = 0, D_ = 0, KVH_ = 0;
  int64_t capacity_ = 0, position_ = 0;
  int64_t num_lightning_ = 0, num_softmax_ = 0;
  std::vector<float> lightning_;  // (L_lin, H, D, D)
  std::vector<float> k_, v_;      // (L_soft, capacity, KVH, D)
  std::vector<float> scores_;     // (H, capacity) scores of one decode query
};

// Scratch buffers of a forward over up to max_tokens tokens at once (a decode step over B
// sequences needs B). Grows on demand in Prefill; DecodeStep never grows it.
class Workspace {
 public:
  explicit Workspace(const ModelConfig& config, int64_t max_tokens = 0);
  ~Workspace();
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) noexcept;
  void Reserve(int64_t max_tokens);
  int64_t max_tokens() const;
  struct Buffers;
  Buffers& buffers() { return *buffers_; }

 private:
  std::unique_ptr<Buffers> buffers_;
  ModelConfig config_;
};

// Feeds tokens into state (continuing from state->position()), running the blocked
// Lightning Attention-2 prefill from the cached state. If last_logits is non-empty (V
// entries) it receives the logits of the last token. OutOfRange if capacity is exceeded.
Status Prefill(const Model& model, std::span<const int32_t> tokens, DecodeState* state,
               std::span<float> last_logits);

// Same for several sequences at once (GEMMs batched across them); states[i] takes sequence
// i of batch; last_logits is (N, V) or empty.
Status PrefillBatch(const Model& model, const PackedTokens& batch,
                    std::span<DecodeState* const> states, Workspace* ws,
                    std::span<float> last_logits);

// ---- 3. Batched decode step --------------------------------------------------------------

// Advances states[b] by the one token tokens[b], every sequence at its own position;
// logits is (B, V). ws must have been created/reserved for >= B tokens (it does not grow:
// FailedPrecondition otherwise). No allocation.
Status DecodeStep(const Model& model, std::span<DecodeState* const> states,
                  std::span<const int32_t> tokens, Workspace* ws, std::span<float> logits);

}  // namespace rl::model
