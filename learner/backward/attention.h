// Attention kernels of the learner, forward and backward, on packed batches (sequence i is
// rows [offsets[i], offsets[i+1]); attention never crosses a sequence boundary; RoPE
// positions restart at 0 per sequence). Templated on float/double (explicitly instantiated
// for both). Row strides (ld*) are in elements, so heads are read in place from the packed
// projections. Pure functions; thread-safe for distinct outputs.
#pragma once

#include <cstdint>
#include <span>

namespace rl {
class ThreadPool;
}  // namespace rl

namespace rl::learner {

// ---- lightning attention (RECIPE.md "Lightning layer") ----------------------------------

// Decay powers λ^i = exp(−s·i) for i = 0..n, computed in double and rounded once, the one
// place every lightning path takes them from.
template <typename T>
void DecayPowers(double s, int64_t n, T* out /*(n + 1)*/);

// One sequence, one head: o_t = q_t · kv_t, kv_t = λ·kv_{t−1} + k_tᵀ v_t, λ = exp(−s), via the
// blocked Lightning Attention-2 prefill with `block` tokens per block. OVERWRITES o.
template <typename T>
void LightningHeadForward(const T* q, const T* k, const T* v, int64_t ld_in /*(n, ld_in)*/,
                          int64_t n, int64_t D, double s, int64_t block, T* o, int64_t ld_out);

// Its backward (Lightning Attention-2 Alg. 2): a forward sweep over blocks for dQ and a
// reverse sweep for dK, dV (RECIPE.md formulas). OVERWRITES dq, dk, dv (stride ld_in).
template <typename T>
void LightningHeadBackward(const T* q, const T* k, const T* v, int64_t ld_in, const T* dout,
                           int64_t ld_out, int64_t n, int64_t D, double s, int64_t block, T* dq,
                           T* dk, T* dv);

// Packed batch: qkv (N, 3·H·D) laid out [H][q|k|v][D] per token (after SiLU), slopes (H),
// o (N, H·D) OVERWRITTEN. pool (optional) runs (sequence, head) pairs in parallel; results
// do not depend on it.
template <typename T>
void LightningForward(const T* qkv, std::span<const int64_t> offsets, int64_t H, int64_t D,
                      std::span<const double> slopes, int64_t block, T* o,
                      ThreadPool* pool = nullptr);
// dqkv (N, 3·H·D) OVERWRITTEN from dO (N, H·D).
template <typename T>
void LightningBackward(const T* qkv, const T* dout, std::span<const int64_t> offsets, int64_t H,
                       int64_t D, std::span<const double> slopes, int64_t block, T* dqkv,
                       ThreadPool* pool = nullptr);

// ---- softmax attention with GQA (scale 1/sqrt(D), causal) --------------------------------

// RoPE (NeoX rotate-half) in place on the first rotary_dim dims of each of the `heads` heads
// of x (N, heads·D); position = row − start of its sequence. inverse = true applies the
// transpose rotation (the backward of the forward rotation).
template <typename T>
void ApplyRope(T* x, std::span<const int64_t> offsets, int64_t heads, int64_t D, int64_t rotary_dim,
               double theta, bool inverse);

// q (N, H·D), k/v (N, KVH·D) already rotated; o (N, H·D) OVERWRITTEN, lse (H, N) OVERWRITTEN
// (the log-sum-exp of each row's scores, saved for the backward).
template <typename T>
void SoftmaxAttentionForward(const T* q, const T* k, const T* v, std::span<const int64_t> offsets,
                             int64_t H, int64_t KVH, int64_t D, T* o, T* lse,
                             ThreadPool* pool = nullptr);
// dq OVERWRITTEN, dk and dv OVERWRITTEN (all heads of a group summed, in head order; pool
// runs (sequence, KV head) pairs in parallel).
template <typename T>
void SoftmaxAttentionBackward(const T* q, const T* k, const T* v, const T* o, const T* lse,
                              const T* dout, std::span<const int64_t> offsets, int64_t H,
                              int64_t KVH, int64_t D, T* dq, T* dk, T* dv,
                              ThreadPool* pool = nullptr);

}  // namespace rl::learner
