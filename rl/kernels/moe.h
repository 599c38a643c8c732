// Mixture-of-experts feed-forward (RECIPE.md "MoE"): router logits z = h·Wgᵀ, p = softmax(z)
// in fp32, top-k experts renormalised (equal to a softmax over the selected logits), and
// y = Σ_selected w_e · w2_e(silu(w1_e h) ⊙ w3_e h). Tokens are grouped by expert so each
// expert runs as GEMMs over its tokens. Thread-safety: pure over caller buffers.
#pragma once

#include <cstdint>

namespace rl::kernels {

// logits: (n, E); idx: (n, k) expert ids (descending probability, ties → lower id);
// weights: (n, k) renormalised probabilities.
void MoeRoute(const float* logits, int64_t n, int64_t E, int64_t k, int32_t* idx,
              float* weights);

struct MoeWeights {
  int64_t C = 0, I = 0, E = 0;
  const float* const* w1 = nullptr;  // E pointers to (I, C)
  const float* const* w3 = nullptr;  // E pointers to (I, C)
  const float* const* w2 = nullptr;  // E pointers to (C, I)
};

// Floats of scratch MoeExperts needs for n tokens and top-k.
int64_t MoeScratch(int64_t n, int64_t k, int64_t C, int64_t I);

// h: (n, C); idx, weights from MoeRoute; y: (n, C) overwritten. scratch: MoeScratch floats;
// rows: (n·k) ints of scratch. team (optional) parallelises each expert's GEMMs.
class ParallelTeam;
void MoeExperts(const MoeWeights& w, const float* h, int64_t n, int64_t k, const int32_t* idx,
                const float* weights, float* y, float* scratch, int32_t* rows,
                ParallelTeam* team = nullptr);

}  // namespace rl::kernels
