// The built-in "math" verifier: extracts the response's final answer (extract.h), reads the
// reference the same way (a whole worked solution works), normalises and parses both
// (expr.h) and decides equivalence (equivalence.h). reward = 1 when correct, else 0.
// Hedging: several boxed answers that are not all equivalent are read as one set; that set
// is correct only against a set-valued reference, never against a single value.
// Bounds: a response over max_response_bytes, an answer over the parser's limits, an
// over-deep nest or a value too large to compare exactly is judged incorrect (details say
// why); nothing here can hang past the input deadline. Thread-safe (no mutable state).
#pragma once

#include <memory>

#include "rewards/math/equivalence.h"
#include "rewards/math/extract.h"
#include "rewards/verifier.h"

namespace rl::rewards::math {

struct MathOptions {
  ExtractOptions extract;
  EquivOptions equiv;
  size_t max_response_bytes = 1 << 20;
};

// Reads {"last_number_fallback", "decimal_rel_tol", "points", "max_response_bytes"}.
StatusOr<MathOptions> MathOptionsFromJson(const nlohmann::json& j);

struct MathJudgement {
  bool correct = false;
  nlohmann::json details = nlohmann::json::object();
};

// The whole decision for one (reference, response) pair.
MathJudgement JudgeMath(std::string_view reference, std::string_view response,
                        const MathOptions& options);

std::shared_ptr<Verifier> MakeMathVerifier(MathOptions options = {}, std::string name = "math");

}  // namespace rl::rewards::math
