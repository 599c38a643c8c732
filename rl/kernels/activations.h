// Elementwise activations of the model: SiLU (lightning qkv), SiLU-gated product (MoE
// experts: silu(a) ⊙ b) and the sigmoid output gate of lightning layers (o ⊙ sigmoid(g)).
// fp32, pure, thread-safe; n elements each.
#pragma once

#include <cstdint>

namespace rl::kernels {

// x ← x · sigmoid(x).
void SiluInPlace(float* x, int64_t n);

// a ← silu(a) ⊙ b.
void SiluMulInPlace(float* a, const float* b, int64_t n);

// o ← o ⊙ sigmoid(g).
void SigmoidGateInPlace(float* o, const float* g, int64_t n);

}  // namespace rl::kernels
