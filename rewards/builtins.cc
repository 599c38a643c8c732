// RegisterBuiltinVerifiers: the built-ins enter the registry exactly as plugins do.
#include "rewards/code/code_verifier.h"
#include "rewards/math/math_verifier.h"
#include "rewards/puzzles/generator.h"
#include "rewards/swe_verifier.h"
#include "rewards/verifier.h"

namespace rl::rewards {

Status RegisterBuiltinVerifiers(VerifierRegistry& registry) {
  RL_RETURN_IF_ERROR(registry.Register(math::MakeMathVerifier()));
  RL_RETURN_IF_ERROR(puzzles::RegisterPuzzleVerifiers(registry));
  RL_RETURN_IF_ERROR(registry.Register(code::MakeCodeVerifier()));
  RL_RETURN_IF_ERROR(registry.Register(MakeSweVerifier()));
  return absl::OkStatus();
}

}  // namespace rl::rewards
