// The decoder stack (RECIPE.md "Decoder layer"): a flat list of kernel calls per layer over
// the workspace buffers. Projections, norms and the MoE run over all T tokens of the packed
// batch at once; attention runs per sequence (in parallel across sequences in decode).
#include <algorithm>
#include <cstring>

#include "rl/kernels/parallel.h"
#include "rl/kernels/activations.h"
#include "rl/kernels/lightning_attention.h"
#include "rl/kernels/matmul.h"
#include "rl/kernels/moe.h"
#include "rl/kernels/rmsnorm.h"
#include "rl/kernels/rope.h"
#include "rl/kernels/softmax_attention.h"
#include "rl/model/forward_internal.h"

namespace rl::model {
namespace {

using kernels::Linear;

// True when every sequence has exactly one token (a decode step): attention then runs
// in parallel across sequences (and heads) on the model's pool.
bool IsDecode(const PackedTokens& b) {
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    if (b.offsets[i + 1] - b.offsets[i] != 1) return false;
  }
  return true;
}

// Below this many floats of attention work a decode step stays on the calling thread: a
// thread hand-off costs more than the work (and much more on a loaded machine).
constexpr int64_t kParallelWork = 1 << 18;

template <typename F>
void ForEach(const Model& model, int64_t n, int64_t work, F&& fn) {
  if (work < kParallelWork || model.pool()->size() == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
  } else {
    model.pool()->Run(n, fn);
  }
}

// Lightning attention sub-block: reads ws.h (T, C), writes ws.y (T, C).
void LightningBlock(const Model& model, int64_t l, const PackedTokens& b,
                    std::span<DecodeState* const> states, Workspace::Buffers& ws, bool decode) {
  const ModelConfig& c = model.config();
  const LayerWeights& w = model.layer(l);
  const int64_t T = static_cast<int64_t>(b.tokens.size()), C = c.hidden_size;
  const int64_t H = c.num_heads, D = c.head_dim, HD = H * D;
  float* qkv = ws.proj.data();  // (T, H, 3, D)
  Linear(ws.h.data(), w.qkv, T, C, 3 * HD, qkv, false, model.pool());
  kernels::SiluInPlace(qkv, T * 3 * HD);
  const double* slopes = model.slopes(l).data();
  const int64_t li = model.type_index(l);
  const int64_t N = static_cast<int64_t>(b.offsets.size()) - 1;
  if (decode) {
    // One token per sequence: the recurrence, one task per (sequence, head).
    ForEach(model, N * H, N * H * D * D, [&](int64_t task) {
      const int64_t i = task / H, h = task % H;
      const float* q = qkv + i * 3 * HD + h * 3 * D;
      kernels::LightningShape s{1, 1, D, 3 * HD, 3 * D};
      kernels::LightningAttentionRecurrent(s, slopes + h, q, q + D, q + 2 * D,
                                           states[i]->lightning_kv(li) + h * D * D,
                                           ws.o.data() + i * HD + h * D);
    });
  } else {
    // Per sequence, its heads in parallel (each head: its own state slice and scratch).
    const int64_t per_thread = kernels::LightningBlockedScratch(256, D);
    const auto need = static_cast<size_t>(per_thread * model.pool()->size());
    if (ws.lightning_scratch.size() < need) ws.lightning_scratch.resize(need);
    for (int64_t i = 0; i < N; ++i) {
      const int64_t t0 = b.offsets[i], n = b.offsets[i + 1] - t0;
      if (n == 0) continue;
      float* state = ws.fresh_state.data();
      if (states.empty()) {
        std::fill(ws.fresh_state.begin(), ws.fresh_state.end(), 0.0f);
      } else {
        state = states[i]->lightning_kv(li);
      }
      const float* q = qkv + t0 * 3 * HD;
      ForEach(model, H, n * H * D * D, [&](int64_t h) {
        kernels::LightningShape s{n, 1, D, 3 * HD, 3 * D, HD};
        const float* qh = q + h * 3 * D;
        float* scratch = ws.lightning_scratch.data() + model.pool()->ThreadIndex() * per_thread;
        kernels::LightningAttentionBlocked(s, slopes + h, qh, qh + D, qh + 2 * D, state + h * D * D,
                                           ws.o.data() + t0 * HD + h * D, 0, scratch);
      });
    }
  }
  kernels::RmsNorm(ws.o.data(), w.norm, T, HD, static_cast<float>(c.lightning_norm_eps),
                   ws.o.data());
  Linear(ws.h.data(), w.gate, T, C, HD, ws.gate.data(), false, model.pool());
  kernels::SigmoidGateInPlace(ws.o.data(), ws.gate.data(), T * HD);
  Linear(ws.o.data(), w.out, T, HD, C, ws.y.data(), false, model.pool());
}

// Softmax attention sub-block: reads ws.h (T, C), writes ws.y (T, C).
void SoftmaxBlock(const Model& model, int64_t l, const PackedTokens& b,
                  std::span<DecodeState* const> states, Workspace::Buffers& ws, bool decode) {
  const ModelConfig& c = model.config();
  const LayerWeights& w = model.layer(l);
  const int64_t T = static_cast<int64_t>(b.tokens.size()), C = c.hidden_size;
  const int64_t H = c.num_heads, D = c.head_dim, KVH = c.num_kv_heads, HD = H * D;
  const int64_t KD = KVH * D;
  float* q = ws.proj.data();  // (T, H, D)
  float* k = q + T * HD;      // (T, KVH, D)
  float* v = k + T * KD;      // (T, KVH, D)
  Linear(ws.h.data(), w.wq, T, C, HD, q, false, model.pool());
  Linear(ws.h.data(), w.wk, T, C, KD, k, false, model.pool());
  Linear(ws.h.data(), w.wv, T, C, KD, v, false, model.pool());
  kernels::ApplyRope(q, T, H, D, HD, ws.positions.data(), c.rotary_dim, c.rope_theta);
  kernels::ApplyRope(k, T, KVH, D, KD, ws.positions.data(), c.rotary_dim, c.rope_theta);
  const int64_t si = model.type_index(l);
  const int64_t N = static_cast<int64_t>(b.offsets.size()) - 1;
  // The new keys/values join the caches first (decode tasks below read them in parallel).
  if (!states.empty()) {
    for (int64_t i = 0; i < N; ++i) {
      const int64_t t0 = b.offsets[i], n = b.offsets[i + 1] - t0;
      DecodeState* st = states[i];
      const int64_t p0 = st->position();
      std::memcpy(st->k_cache(si) + p0 * KD, k + t0 * KD, sizeof(float) * static_cast<size_t>(n * KD));
      std::memcpy(st->v_cache(si) + p0 * KD, v + t0 * KD, sizeof(float) * static_cast<size_t>(n * KD));
    }
  }
  if (decode) {
    // One task per (sequence, kv head): its query heads share one pass over that head's cache.
    const int64_t group = H / KVH;
    int64_t keys = 0;
    for (int64_t i = 0; i < N; ++i) keys += states[i]->position() + 1;
    ForEach(model, N * KVH, keys * H * D, [&](int64_t task) {
      const int64_t i = task / KVH, g = task % KVH;
      DecodeState* st = states[i];
      const kernels::SoftmaxAttentionShape s{1, st->position(), group, 1, D, HD, KD};
      kernels::SoftmaxAttentionNaive(s, q + i * HD + g * group * D, st->k_cache(si) + g * D,
                                     st->v_cache(si) + g * D, ws.o.data() + i * HD + g * group * D,
                                     st->attention_scratch() + g * group * st->capacity());
    });
    Linear(ws.o.data(), w.wo, T, HD, C, ws.y.data(), false, model.pool());
    return;
  }
  auto run_sequence = [&](int64_t i) {
    const int64_t t0 = b.offsets[i], n = b.offsets[i + 1] - t0;
    if (n == 0) return;
    const float* keys = k + t0 * KD;
    const float* values = v + t0 * KD;
    int64_t p0 = 0;
    if (!states.empty()) {
      p0 = states[i]->position();
      keys = states[i]->k_cache(si);
      values = states[i]->v_cache(si);
    }
    float* out = ws.o.data() + t0 * HD;
    // Prefill: heads in parallel, one scratch slice per team thread.
    const kernels::SoftmaxAttentionShape s1{n, p0, 1, 1, D, HD, KD};
    const int64_t per_thread = kernels::SoftmaxAttentionScratch(s1);
    const auto need = static_cast<size_t>(per_thread * model.pool()->size());
    if (ws.attn_scratch.size() < need) ws.attn_scratch.resize(need);
    ForEach(model, H, n * (p0 + n) * H * D, [&](int64_t h) {
      const int64_t g = h / (H / KVH);
      float* scratch = ws.attn_scratch.data() + model.pool()->ThreadIndex() * per_thread;
      kernels::SoftmaxAttentionBlocked(s1, q + t0 * HD + h * D, keys + g * D, values + g * D,
                                       out + h * D, scratch);
    });
  };
  for (int64_t i = 0; i < N; ++i) run_sequence(i);
  Linear(ws.o.data(), w.wo, T, HD, C, ws.y.data(), false, model.pool());
}

// MoE sub-block: reads ws.h (T, C), writes ws.y (T, C).
void MoeBlock(const Model& model, int64_t l, int64_t T, Workspace::Buffers& ws) {
  const ModelConfig& c = model.config();
  const LayerWeights& w = model.layer(l);
  const int64_t C = c.hidden_size, E = c.num_experts, k = c.experts_per_token;
  Linear(ws.h.data(), w.router, T, C, E, ws.router.data(), false, model.pool());
  kernels::MoeRoute(ws.router.data(), T, E, k, ws.moe_idx.data(), ws.moe_w.data());
  kernels::MoeWeights mw{C, c.intermediate_size, E, w.w1.data(), w.w3.data(), w.w2.data()};
  kernels::MoeExperts(mw, ws.h.data(), T, k, ws.moe_idx.data(), ws.moe_w.data(), ws.y.data(),
                      ws.moe_scratch.data(), ws.moe_rows.data(), model.pool());
}

// x ← α·(postnorm ? h : x) + β·y over n values.
void Residual(bool postnorm, float alpha, float beta, const float* h, const float* y, float* x,
              int64_t n) {
  const float* r = postnorm ? h : x;
  for (int64_t i = 0; i < n; ++i) x[i] = alpha * r[i] + beta * y[i];
}

}  // namespace

void LayerForward(const Model& model, int64_t l, const PackedTokens& b,
                  std::span<DecodeState* const> states, Workspace::Buffers& ws, bool decode) {
  const ModelConfig& c = model.config();
  const LayerWeights& w = model.layer(l);
  const int64_t n = static_cast<int64_t>(b.tokens.size()) * c.hidden_size;
  const float eps = static_cast<float>(c.rms_norm_eps);
  kernels::RmsNorm(ws.x.data(), w.input_norm, static_cast<int64_t>(b.tokens.size()),
                   c.hidden_size, eps, ws.h.data());
  if (w.type == LayerType::kLightning) {
    LightningBlock(model, l, b, states, ws, decode);
  } else {
    SoftmaxBlock(model, l, b, states, ws, decode);
  }
  Residual(c.postnorm, w.attn_alpha, w.attn_beta, ws.h.data(), ws.y.data(), ws.x.data(), n);
  kernels::RmsNorm(ws.x.data(), w.post_norm, static_cast<int64_t>(b.tokens.size()),
                   c.hidden_size, eps, ws.h.data());
  MoeBlock(model, l, static_cast<int64_t>(b.tokens.size()), ws);
  Residual(c.postnorm, static_cast<float>(c.mlp_alpha), static_cast<float>(c.mlp_beta),
           ws.h.data(), ws.y.data(), ws.x.data(), n);
}

void SetPositions(const PackedTokens& b, std::span<DecodeState* const> states,
                  Workspace::Buffers& ws) {
  const int64_t N = static_cast<int64_t>(b.offsets.size()) - 1;
  for (int64_t i = 0; i < N; ++i) {
    const int64_t p0 = states.empty() ? 0 : states[i]->position();
    for (int64_t t = b.offsets[i]; t < b.offsets[i + 1]; ++t) ws.positions[t] = p0 + t - b.offsets[i];
  }
}

void RunStack(const Model& model, const PackedTokens& b, std::span<DecodeState* const> states,
              Workspace::Buffers& ws, ForwardActivations* acts) {
  const ModelConfig& c = model.config();
  const int64_t T = static_cast<int64_t>(b.tokens.size()), C = c.hidden_size;
  const bool decode = !states.empty() && IsDecode(b);
  SetPositions(b, states, ws);
  for (int64_t t = 0; t < T; ++t) {
    std::memcpy(ws.x.data() + t * C, model.embedding() + static_cast<int64_t>(b.tokens[t]) * C,
                sizeof(float) * static_cast<size_t>(C));
  }
  if (acts != nullptr) {
    acts->num_tokens = T;
    acts->layer_inputs.resize(static_cast<size_t>((c.num_layers + 1) * T * C));
  }
  for (int64_t l = 0; l < c.num_layers; ++l) {
    if (acts != nullptr) std::copy_n(ws.x.data(), T * C, acts->layer_inputs.data() + l * T * C);
    LayerForward(model, l, b, states, ws, decode);
  }
  if (acts != nullptr) {
    std::copy_n(ws.x.data(), T * C, acts->layer_inputs.data() + c.num_layers * T * C);
  }
  kernels::RmsNorm(ws.x.data(), model.final_norm(), T, C, static_cast<float>(c.rms_norm_eps),
                   ws.h.data());
  if (acts != nullptr) acts->final_hidden.assign(ws.h.begin(), ws.h.begin() + T * C);
  for (int64_t i = 0; i < static_cast<int64_t>(states.size()); ++i) {
    states[i]->Advance(b.offsets[i + 1] - b.offsets[i]);
  }
}

}  // namespace rl::model
