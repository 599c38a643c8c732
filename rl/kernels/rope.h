// Rotary position embedding, NeoX "rotate-half" style, applied to the first rotary_dim dims
// of every head only (partial RoPE, RECIPE.md "Softmax layer"); the other dims pass through.
// For pair i < rotary_dim/2 at position p: angle = p · theta^(−2i/rotary_dim) (double),
//   x[i] ← x[i]·cos − x[i + half]·sin,   x[i + half] ← x[i + half]·cos + x[i]·sin.
// Pure function over caller buffers; thread-safe.
#pragma once

#include <cstdint>

namespace rl::kernels {

// x: (n, heads, D) with row stride ld between tokens (heads·D when contiguous), in place.
// Token r sits at position positions[r].
void ApplyRope(float* x, int64_t n, int64_t heads, int64_t D, int64_t ld,
               const int64_t* positions, int64_t rotary_dim, double theta);

}  // namespace rl::kernels
