// Causal softmax attention with grouped-query heads over a key/value buffer (a KV cache or
// the keys of the current chunk), RECIPE.md "Softmax layer": scale 1/sqrt(D), query head h
// reads kv head h / (H / KVH). RoPE is applied by the caller (rope.h) before.
// Query r sits at position p0 + r and attends keys [0, p0 + r]; keys hold positions
// 0..p0+n−1, so S = p0 + n rows of k/v must be valid. Scores in fp32, softmax with max
// subtraction. Pure function over caller buffers; thread-safe (distinct outputs).
#pragma once

#include <cstdint>

namespace rl::kernels {

struct SoftmaxAttentionShape {
  int64_t n = 0;    // queries
  int64_t p0 = 0;   // position of the first query (keys before it are the cached prefix)
  int64_t H = 0;    // query heads
  int64_t KVH = 0;  // key/value heads
  int64_t D = 0;    // head dim
  int64_t ldq = 0;  // row stride of q and o (H·D when contiguous)
  int64_t ldk = 0;  // row stride of k and v (KVH·D when contiguous)
};

// Readable reference and the decode path: one query row at a time, the H/KVH query heads of
// a kv head together (each cached row read once per group). q: (n, H, D); k, v:
// (p0+n, KVH, D); o: (n, H, D), overwritten. scratch: (H/KVH)·(p0 + n) floats.
void SoftmaxAttentionNaive(const SoftmaxAttentionShape& s, const float* q, const float* k,
                           const float* v, float* o, float* scratch);

// Floats of scratch SoftmaxAttentionBlocked needs.
int64_t SoftmaxAttentionScratch(const SoftmaxAttentionShape& s);

// Same result, query blocks × keys through sgemm (prefill). scratch: SoftmaxAttentionScratch.
void SoftmaxAttentionBlocked(const SoftmaxAttentionShape& s, const float* q, const float* k,
                             const float* v, float* o, float* scratch);

}  // namespace rl::kernels
