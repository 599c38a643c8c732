// The gRPC rollout worker: serves rl.proto.Rollout (proto/rollout.proto) and the standard
// grpc.health.v1.Health service over a RolloutEngine it owns.
//
// Threading: the callback API. Reactor callbacks only move messages between the wire and
// the engine's inbox (submit, cancel, decode a weight chunk) and return; generation and
// weight application run on the engine thread; samples are posted back to the stream's
// reactor, which keeps one read and one write in flight and a queue of pending events. A
// heartbeat thread writes a Heartbeat on every Generate stream that has been silent for
// heartbeat_ms. Shutdown(): stops the engine (outstanding requests come back ABORTED),
// finishes every open stream with UNAVAILABLE once its queue is flushed, then shuts the
// server down with a grace deadline. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "rl/core/status.h"
#include "rollout/engine.h"

namespace rl::rollout {

struct WorkerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
  int heartbeat_ms = 2000;
  double shutdown_grace_s = 2.0;
  int64_t max_message_bytes = 64 << 20;
};

class RolloutWorker {
 public:
  // Builds and starts the server; Unavailable when the address cannot be bound.
  static StatusOr<std::unique_ptr<RolloutWorker>> Start(std::unique_ptr<RolloutEngine> engine,
                                                        WorkerOptions options);
  ~RolloutWorker();  // Shutdown()
  RolloutWorker(const RolloutWorker&) = delete;
  RolloutWorker& operator=(const RolloutWorker&) = delete;

  const std::string& address() const;  // host:port actually bound
  RolloutEngine& engine();
  void Shutdown();  // idempotent

 private:
  struct Impl;
  explicit RolloutWorker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl::rollout
