// Lightning attention (linear attention with a per-head exponential decay), three ways that
// compute the same function (RECIPE.md "Lightning layer"):
//   kv_t = λ·kv_{t−1} + k_tᵀ v_t,   o_t = q_t·kv_t          (kv: D×D fp32 per head)
// with no 1/sqrt(D) scale and no normaliser, λ_h = exp(−s_h), s_h from decay.h.
//   * LightningAttentionNaive: the masked quadratic form o_t = Σ_{s≤t} λ^(t−s)(q_t·k_s) v_s
//     + λ^(t+1) q_t·kv_{−1} — the readable reference, O(T²D) per head.
//   * LightningAttentionRecurrent: the recurrence token by token (decode).
//   * LightningAttentionBlocked: Lightning Attention-2 prefill in blocks of B (0-based
//     in-block indices), intra-block quadratic + inter-block state, sgemm inside.
// Layout (T tokens, H heads, D head dim): q/k/v of token t, head h start at
// q + t·ld + h·hs (likewise k, v), so the interleaved [T][H][q|k|v][D] qkv buffer of a
// lightning layer is read in place (ld = 3HD, hs = 3D). o is (T, H, D) with row stride
// out_stride() and is overwritten (a single head of a wider o: H = 1, ldo = the full width). state is (H, D, D), row-major kv[d_k][d_v], read as kv_{−1} and overwritten
// with kv_{T−1} (so a prefill can continue from a cached state). slopes: (H), double.
// Every power of λ comes from decay.h (double, rounded once). Callers set flush-to-zero.
// Thread-safety: pure functions over caller buffers; distinct buffers may run in parallel.
#pragma once

#include <cstdint>

namespace rl::kernels {

struct LightningShape {
  int64_t T = 0;   // tokens
  int64_t H = 0;   // heads
  int64_t D = 0;   // head dim
  int64_t ld = 0;  // stride between tokens in q/k/v (elements)
  int64_t hs = 0;  // stride between heads in q/k/v (elements)
  int64_t ldo = 0; // stride between tokens in o; 0 means H·D (contiguous (T, H, D))
  int64_t out_stride() const { return ldo > 0 ? ldo : H * D; }
};

void LightningAttentionNaive(const LightningShape& s, const double* slopes, const float* q,
                             const float* k, const float* v, float* state, float* o);

void LightningAttentionRecurrent(const LightningShape& s, const double* slopes, const float* q,
                                 const float* k, const float* v, float* state, float* o);

// The block size the prefill uses for an input of T tokens: 32, 64, 128 or 256 (smallest
// that holds T, 256 beyond).
int64_t LightningBlockSize(int64_t T);

// Floats of scratch LightningAttentionBlocked needs for block size B and head dim D.
int64_t LightningBlockedScratch(int64_t B, int64_t D);

// block = 0 picks LightningBlockSize(T). scratch: LightningBlockedScratch(block, D) floats.
void LightningAttentionBlocked(const LightningShape& s, const double* slopes, const float* q,
                               const float* k, const float* v, float* state, float* o,
                               int64_t block, float* scratch);

}  // namespace rl::kernels
