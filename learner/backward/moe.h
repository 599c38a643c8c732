// The MoE feed-forward block, forward and backward (RECIPE.md "MoE"): router z = h Wgᵀ,
// p = softmax(z), top-k renormalised weights w (a softmax over the selected logits), experts
// w2(silu(w1 h) ⊙ w3 h), y = Σ_{i∈S} w_i·expert_i(h); the Switch auxiliary loss
// aux = E·Σ_e f_e·P_e (f_e = top-k assignments to e / (k·N), no gradient; P_e = mean_t p_{t,e}).
// Templated on float/double (explicitly instantiated). Ties in top-k go to the lower index.
// Pure functions; thread-safe for distinct caches/outputs.
#pragma once

#include <cstdint>
#include <vector>

namespace rl::learner {

template <typename T>
struct MoeWeights {
  const T* gate = nullptr;   // (E, C)
  std::vector<const T*> w1;  // E × (I, C)
  std::vector<const T*> w3;  // E × (I, C)
  std::vector<const T*> w2;  // E × (C, I)
};

template <typename T>
struct MoeGrads {  // accumulated (+=) by MoeBackward
  T* gate = nullptr;
  std::vector<T*> w1, w3, w2;
};

template <typename T>
struct MoeCache {
  std::vector<T> probs;                     // (N, E) router softmax
  std::vector<int32_t> selected;            // (N, k) expert ids
  std::vector<T> weights;                   // (N, k) renormalised weights
  std::vector<std::vector<int64_t>> slots;  // per expert: t·k + slot routed to it
  std::vector<std::vector<T>> a, b,
      out;                // per expert: w1 h (n_e, I), w3 h (n_e, I), expert(h) (n_e, C)
  double aux = 0;         // E·Σ f_e·P_e (unscaled)
  std::vector<double> f;  // (E) assignment fractions
};

struct MoeShape {
  int64_t N = 0, C = 0, I = 0, E = 0, k = 0;
};

// y (N, C) OVERWRITTEN; cache filled.
template <typename T>
void MoeForward(const T* h /*(N, C)*/, const MoeShape& s, const MoeWeights<T>& w,
                MoeCache<T>* cache, T* y);

// Backward of y and of aux_scale·aux. dh (N, C) ACCUMULATED (+=); grads ACCUMULATED (+=).
template <typename T>
void MoeBackward(const T* dy /*(N, C)*/, const T* h /*(N, C)*/, const MoeShape& s,
                 const MoeWeights<T>& w, const MoeCache<T>& cache, double aux_scale, T* dh,
                 const MoeGrads<T>& grads);

}  // namespace rl::learner
