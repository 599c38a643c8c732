// RegisterBuiltinVerifiers: the built-ins enter the registry exactly as plugins do.
#include "rewards/math/math_verifier.h"
#include "rewards/puzzles/generator.h"
#include "rewards/verifier.h"

namespace rl::rewards {

Status RegisterBuiltinVerifiers(VerifierRegistry& registry) {
  RL_RETURN_IF_ERROR(registry.Register(math::MakeMathVerifier()));
  RL_RETURN_IF_ERROR(puzzles::RegisterPuzzleVerifiers(registry));
  return absl::OkStatus();
}

}  // namespace rl::rewards
