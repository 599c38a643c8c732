// Forward (saving what the backward needs) and backward of the whole MiniMax-Text-01 model
// over a packed batch, templated on float/double so the same code is checked against finite
// differences in double. Parameters are addressed by their original Hugging Face names
// (rl/model/params.h); gradients use the same names and shapes.
//
//   Activations<float> acts;
//   ModelForward(config, ViewOf(params), batch, opts, &acts);         // layers + final norm
//   LmHeadLogProbs(...acts.final_hidden...)                           // logp per token
//   ... loss → dlogp → LmHeadBackward → dhidden ...
//   ModelBackward(config, view, batch, opts, &acts, dhidden, &grads);  // grads ACCUMULATED
//
// Activation recomputation (opts.recompute): the forward keeps only each layer's input and
// the backward re-runs one layer at a time (memory O(L·T·C) instead of all intermediates).
// The MoE aux loss (coef · mean over layers of E·Σ f_e·P_e) is part of the differentiated
// loss when opts.aux_loss_coef > 0; its value is returned in Activations::aux_loss.
// Thread-safety: distinct Activations/grads per call; weights are read only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/model/model_config.h"
#include "rl/model/params.h"

namespace rl {
class ThreadPool;
}  // namespace rl

namespace rl::learner {

template <typename T>
using Tensors = std::map<std::string, std::vector<T>>;  // name → values (shapes as params.h)
template <typename T>
using WeightView = std::map<std::string, const T*>;

WeightView<float> ViewOf(const model::ParamMap& params);
template <typename T>
WeightView<T> ViewOf(const Tensors<T>& tensors);
// Zero-filled tensors of every parameter of config (with tie_word_embeddings, no lm_head).
template <typename T>
Tensors<T> ZeroTensors(const model::ModelConfig& config);

// The LM head weight's name: lm_head.weight, or the embedding when tie_word_embeddings.
std::string LmHeadName(const model::ModelConfig& config);

// Lightning slopes s_{h,l} (H entries) of global layer l (RECIPE.md "Decay"), in the
// checkpoint dialect's formula (rl/kernels/decay.h, shared with the engine).
std::vector<double> LightningSlopes(const model::ModelConfig& config, int64_t layer);

// Wall-clock seconds spent in layers by type (forward + backward, recomputation included).
struct LayerTimes {
  double lightning = 0, softmax = 0;
};

struct GradOptions {
  int64_t lightning_block = 256;
  bool recompute = false;  // activation recomputation per layer
  double aux_loss_coef =
      0.0;  // 0: the aux loss is neither computed into the loss nor differentiated
  LayerTimes* times = nullptr;  // accumulated into when non-null (benchmarks)
  ThreadPool* pool = nullptr;   // attention heads in parallel (results do not depend on it)
};

struct PackedBatch {
  std::span<const int32_t> tokens;   // (N)
  std::span<const int64_t> offsets;  // (S + 1)
};

template <typename T>
struct LayerCache;  // a layer's intermediates (model_grad.cc)

template <typename T>
struct Activations {
  Activations();
  ~Activations();
  Activations(Activations&&) noexcept;
  Activations& operator=(Activations&&) noexcept;
  int64_t num_tokens = 0;
  std::vector<T> layer_inputs;                         // (L + 1, N, C)
  std::vector<std::unique_ptr<LayerCache<T>>> layers;  // L (empty entries under recompute)
  std::vector<T> final_hidden;                         // (N, C)
  std::vector<T> final_rstd;                           // (N)
  double aux_loss = 0;  // coef · mean over layers of the aux loss (0 when coef = 0)
  // Bytes held by this object (for memory reports).
  int64_t Bytes() const;
};

template <typename T>
void ModelForward(const model::ModelConfig& config, const WeightView<T>& w,
                  const PackedBatch& batch, const GradOptions& opts, Activations<T>* acts);

// dhidden (N, C): ∂loss/∂final_hidden. Param grads ACCUMULATED (+=) into grads (created by
// ZeroTensors). acts is consumed (caches freed as the backward proceeds).
template <typename T>
void ModelBackward(const model::ModelConfig& config, const WeightView<T>& w,
                   const PackedBatch& batch, const GradOptions& opts, Activations<T>* acts,
                   const T* dhidden, Tensors<T>* grads);

// ---- FP32 (or double) LM head with log-softmax under temperature -------------------------

// For rows t with targets[t] >= 0: logp[t] = log softmax(z_t/temp)[targets[t]] with
// z_t = hidden_t · Wᵀ, and entropy[t] = H(softmax(z_t/temp)) if entropy is non-null; rows
// with targets[t] < 0 get 0. Logits are computed in row chunks, never held whole.
// vocab_limit in (0, V): the softmax runs over ids < vocab_limit only (ids ≥ vocab_limit
// masked as −∞, the rollout sampler's SamplerOptions::vocab_limit); targets must be below it.
// OVERWRITES logp/entropy.
template <typename T>
void LmHeadLogProbs(const T* hidden /*(N, C)*/, const T* W /*(V, C)*/, int64_t N, int64_t C,
                    int64_t V, std::span<const int32_t> targets, double temperature, T* logp,
                    T* entropy, int64_t vocab_limit = 0);

// Backward of Σ_t dlogp[t]·logp[t]: dhidden OVERWRITTEN (N, C), dW ACCUMULATED (V, C).
// With vocab_limit the masked logits get no gradient (rows ≥ vocab_limit of dW unchanged).
template <typename T>
void LmHeadBackward(const T* hidden, const T* W, int64_t N, int64_t C, int64_t V,
                    std::span<const int32_t> targets, double temperature, const T* dlogp,
                    T* dhidden, T* dW, int64_t vocab_limit = 0);

}  // namespace rl::learner
