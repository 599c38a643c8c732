// VerifierPool: runs verifier calls concurrently on its own threads with a per-call
// timeout, and maps task kinds to verifiers (config rewards.verifiers). It never fails a
// call: an unknown kind, a verifier error or a timeout gives `fallback_reward`, `alert`
// set and the reason in details.error. A timed-out call keeps its thread until the
// verifier returns (built-ins honour the deadline; the process plugin kills its child), so
// a misbehaving verifier can at worst occupy the pool, never block the caller past its
// timeout. Thread-safe; the registry's verifiers are shared, not owned.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rewards/verifier.h"

namespace rl::rewards {

struct PoolOptions {
  std::map<std::string, std::string> kind_to_verifier;  // task kind → verifier name
  float fallback_reward = 0.0f;
  double timeout_s = 10.0;
  int concurrency = 2;
};

class VerifierPool {
 public:
  // Fails with NotFound when a mapped verifier is not registered.
  static StatusOr<std::unique_ptr<VerifierPool>> Create(const VerifierRegistry& registry,
                                                        PoolOptions options);
  ~VerifierPool();
  VerifierPool(const VerifierPool&) = delete;
  VerifierPool& operator=(const VerifierPool&) = delete;

  // One call, on the pool, waiting at most timeout_s. The input's deadline is set here.
  VerifyResult Verify(const tasks::Task& task, std::string_view response,
                      int64_t response_tokens = -1, int64_t budget_tokens = -1);
  // Many calls in parallel; results in input order. `inputs[i].deadline` is overwritten.
  std::vector<VerifyResult> VerifyBatch(std::span<const VerifyInput> inputs);

  const PoolOptions& options() const { return options_; }

 private:
  struct Impl;
  explicit VerifierPool(std::unique_ptr<Impl> impl, PoolOptions options);
  std::unique_ptr<Impl> impl_;
  PoolOptions options_;
};

// The fallback result for a failed call.
VerifyResult FallbackResult(float fallback_reward, const std::string& error);

}  // namespace rl::rewards
