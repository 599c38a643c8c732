// The scheduler's one call into token sampling: picks the next token from a logits row and
// returns it with log softmax(z/T)[token] over the FULL vocabulary (RECIPE: never
// renormalised after truncation; for greedy, T = 1 is used for the log-prob). The sampler
// proper (temperature, top-p, top-k, min-p) lives in rollout/sampling.h; this adapter keeps
// the scheduler independent of its exact signature. Pure; thread-safe with distinct rngs.
#pragma once

#include <cstdint>
#include <random>

#include "rl/core/status.h"
#include "rollout/request.h"

namespace rl::rollout {

struct Chosen {
  int32_t token = 0;
  float logprob = 0.0f;
};

// InvalidArgument when params cannot be honoured. logits: (V).
Status ValidateSamplingParams(const SamplingParams& params);
Chosen ChooseToken(const float* logits, int64_t V, const SamplingParams& params,
                   std::mt19937_64& rng);

}  // namespace rl::rollout
