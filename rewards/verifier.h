// The verifier interface: everything that turns a response into a reward implements
// `Verifier`, and every verifier — built-in (math, puzzles, code) or a user's plugin
// (shared library, external process, gRPC service) — enters the run through the same
// `VerifierRegistry::Register` call; there is no private path for built-ins.
//
// Contract of a verifier call:
//   input  = a task record (rl/tasks/task.h) + the response text (+ optional token counts
//            for shaping, and a deadline);
//   output = reward (float), correct (true/false/unknown), details (JSON object);
//   errors = a non-ok Status. Errors never abort a run: the VerifierPool (verifier_pool.h)
//            turns them into the configured fallback reward with `alert` set.
// Verify() must be thread-safe (the pool calls it concurrently) and should honour
// `input.deadline` cooperatively (the pool stops waiting at the deadline either way, but a
// verifier that keeps running keeps holding a pool thread).
// The registry is thread-safe; it shares ownership of the verifiers it holds.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"
#include "rl/tasks/task.h"

namespace rl::rewards {

using Clock = std::chrono::steady_clock;

struct VerifyInput {
  const tasks::Task* task = nullptr;  // not owned; must outlive the call
  std::string_view response;          // not owned
  int64_t response_tokens = -1;       // for length shaping; -1 = unknown
  int64_t budget_tokens = -1;         // generation budget of this sample; -1 = unknown
  Clock::time_point deadline = Clock::time_point::max();
};

struct VerifyResult {
  float reward = 0.0f;
  std::optional<bool> correct;  // nullopt = the verifier does not judge correctness
  nlohmann::json details = nlohmann::json::object();
  bool alert = false;  // the fallback reward was used (error, timeout, unknown kind)
};

// {"reward":…, "correct":true|false|null, "details":{…}} (+ "alert":true when set).
nlohmann::json ResultToJson(const VerifyResult& r);

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual std::string name() const = 0;
  virtual StatusOr<VerifyResult> Verify(const VerifyInput& input) = 0;
};

class VerifierRegistry {
 public:
  // Fails with AlreadyExists when the name is taken, InvalidArgument on an empty name.
  Status Register(std::shared_ptr<Verifier> verifier);
  // Like Register but replaces an existing entry (used by plugins overriding built-ins).
  void RegisterOrReplace(std::shared_ptr<Verifier> verifier);
  // NotFound names the known verifiers and a did-you-mean suggestion.
  StatusOr<std::shared_ptr<Verifier>> Get(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Verifier>, std::less<>> verifiers_;
};

// A verifier from a plain function (handy for tests and small built-ins).
std::shared_ptr<Verifier> MakeFunctionVerifier(
    std::string name, std::function<StatusOr<VerifyResult>(const VerifyInput&)> fn);

// Registers every built-in verifier: "math", the puzzle families ("countdown", "sudoku",
// "cipher", "zebra", "shortest_path", "sat") and "code" (programs run in the sandbox).
// Fails only on a name clash.
Status RegisterBuiltinVerifiers(VerifierRegistry& registry);  // + "swe" (rewards/swe_verifier.h)

}  // namespace rl::rewards
