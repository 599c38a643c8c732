// Status and StatusOr are Abseil's (shipped with gRPC), with the canonical codes gRPC uses.
// Recoverable errors travel as values; these two macros make early return short. Messages
// name the file, line, field or tensor they are about.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rl {

using absl::Status;
using absl::StatusOr;

}  // namespace rl

#define RL_STATUS_CONCAT_INNER_(a, b) a##b
#define RL_STATUS_CONCAT_(a, b) RL_STATUS_CONCAT_INNER_(a, b)

// RL_RETURN_IF_ERROR(expr): evaluates expr (a Status) and returns it from the caller if not ok.
#define RL_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::absl::Status rl_status_ = (expr);            \
    if (!rl_status_.ok()) return rl_status_;       \
  } while (0)

// RL_ASSIGN_OR_RETURN(lhs, expr): lhs = value of a StatusOr, or return its error.
#define RL_ASSIGN_OR_RETURN(lhs, expr) \
  RL_ASSIGN_OR_RETURN_IMPL_(RL_STATUS_CONCAT_(rl_statusor_, __LINE__), lhs, expr)
#define RL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()
