// Log-probabilities under a sampling temperature, shared by the sampler (rollout) and the
// learner so both see the same numbers (RECIPE: full-vocabulary softmax of z/T, never
// renormalised after top-k/top-p). Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace rl::kernels {

// out[v] = log softmax(z / temperature)[v] for v in [0, V). temperature > 0. out may alias z.
// Computed as (z − max z)/T − log Σ exp((z − max z)/T): fp32 exponents, vectorised exp,
// the sum in double; absolute error ~1e-6 for logits of magnitude ~30.
void LogSoftmaxTemperature(const float* z, int64_t V, float temperature, float* out);  // (V)

// log softmax(z / temperature)[token] only (one pass for the max, one for the sum).
float TokenLogProb(const float* z, int64_t V, float temperature, int64_t token);  // z: (V)

}  // namespace rl::kernels
