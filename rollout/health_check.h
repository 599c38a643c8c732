// A client for the standard gRPC health service (grpc.health.v1.Health/Check) without its
// generated stubs (Debian ships no health.proto): the two messages are tiny, so they are
// encoded by hand — HealthCheckRequest {1: string service}, HealthCheckResponse {1: enum
// status} with SERVING = 1. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "rl/core/status.h"

namespace rl::rollout {

enum class HealthStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// service "" = the whole server. Unavailable/DeadlineExceeded when the server does not answer.
StatusOr<HealthStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                   const std::string& service, double timeout_s);

}  // namespace rl::rollout
