// Internals of the forward pass shared by model.cc, layers.cc and forward.cc: the per-layer
// parameter pointers, the workspace buffers and the decoder-stack driver. Not part of the
// public API (forward.h); the learner's backward may include it to reuse the pieces.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rl/model/forward.h"

namespace rl::model {

struct LayerWeights {
  LayerType type = LayerType::kLightning;
  const float* input_norm = nullptr;  // (C)
  const float* post_norm = nullptr;   // (C)
  // Lightning layer.
  const float* qkv = nullptr;         // (3·H·D, C), output laid out [H][q|k|v][D]
  const float* gate = nullptr;        // (H·D, C)
  const float* out = nullptr;         // (C, H·D)
  const float* norm = nullptr;        // (H·D)
  // Softmax layer.
  const float* wq = nullptr;          // (H·D, C)
  const float* wk = nullptr;          // (KVH·D, C)
  const float* wv = nullptr;          // (KVH·D, C)
  const float* wo = nullptr;          // (C, H·D)
  // MoE.
  const float* router = nullptr;      // (E, C)
  std::vector<const float*> w1, w3;   // E × (I, C)
  std::vector<const float*> w2;       // E × (C, I)
  float attn_alpha = 1.0f, attn_beta = 1.0f;
};

// Scratch for a forward over up to `tokens` tokens (T below).
struct Workspace::Buffers {
  int64_t tokens = 0;
  std::vector<float> x;          // (T, C) residual stream
  std::vector<float> h;          // (T, C) normed input of a sub-block; final hidden at the end
  std::vector<float> y;          // (T, C) sub-block output
  std::vector<float> proj;       // (T, max(3·H·D, (H + 2·KVH)·D)) qkv / q,k,v projections
  std::vector<float> gate;       // (T, H·D)
  std::vector<float> o;          // (T, H·D) attention output
  std::vector<float> router;     // (T, E)
  std::vector<float> moe_w;      // (T, k)
  std::vector<int32_t> moe_idx;  // (T, k)
  std::vector<int32_t> moe_rows; // (T, k)
  std::vector<float> moe_scratch;
  std::vector<int64_t> positions;  // (T)
  std::vector<int64_t> offsets;    // (T + 1) packed offsets of a decode step
  std::vector<float> fresh_state;  // (H, D, D) lightning state of a sequence without a cache
  std::vector<float> lightning_scratch;  // prefill, per team thread; grows on demand
  std::vector<float> attn_scratch;       // prefill softmax scores per team thread; grows
  void Reserve(const ModelConfig& c, int64_t T);
};

// Runs the decoder stack and the final norm over a packed batch (T ≤ ws.tokens). With states
// (one per sequence) each sequence continues from and advances its state; without, each starts
// empty and nothing is cached. acts (optional) receives the layer inputs. On return ws.h holds
// RMSNorm_final(x_L), (T, C). Inputs are validated by the caller.
void RunStack(const Model& model, const PackedTokens& batch, std::span<DecodeState* const> states,
              Workspace::Buffers& ws, ForwardActivations* acts);

// One decoder layer in place on ws.x (T, C) (the learner's recomputation from a saved layer
// input: copy acts.layer_inputs[l] into ws.x, SetPositions, then LayerForward). decode: every
// sequence has one token and states are given (attention runs the recurrence / cached
// decode path). Leaves ws.h = RMSNorm_post(x1) and ws.y = MoE(ws.h) of this layer.
void LayerForward(const Model& model, int64_t l, const PackedTokens& batch,
                  std::span<DecodeState* const> states, Workspace::Buffers& ws, bool decode);

// ws.positions[t] = position of token t in its sequence (continuing from its state, if any).
void SetPositions(const PackedTokens& batch, std::span<DecodeState* const> states,
                  Workspace::Buffers& ws);

}  // namespace rl::model
