// Shaping rewards that compose with any verifier (verl/DAPO style):
//  * format reward: the response follows the think template — exactly one <think>…</think>
//    block at the start (leading whitespace allowed) followed by a non-empty answer;
//    adds format_weight × (1 if followed else 0);
//  * DAPO overlong penalty: with budget L and buffer B, a response of n tokens gets
//    0 when n ≤ L − B, −penalty·(n − (L − B))/B when L − B < n ≤ L, and −penalty beyond L
//    (needs VerifyInput::response_tokens and budget_tokens; otherwise no penalty).
// The wrapper keeps the base verifier's `correct` and adds its terms to `details.shaping`.
// Thread-safe when the base verifier is.
#pragma once

#include <memory>
#include <string_view>

#include "rewards/verifier.h"

namespace rl::rewards {

struct ShapingOptions {
  double format_weight = 0.0;
  int64_t overlong_buffer = 0;  // 0 = off
  double overlong_penalty = 1.0;
};

bool FollowsThinkFormat(std::string_view response);
// The (≤ 0) DAPO penalty for a response of `tokens` under `budget` with buffer `buffer`.
double OverlongPenalty(int64_t tokens, int64_t budget, int64_t buffer, double penalty);

// Returns base unchanged when every term is off.
std::shared_ptr<Verifier> WithShaping(std::shared_ptr<Verifier> base, ShapingOptions options);

}  // namespace rl::rewards
