#include "rollout/health_check.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

namespace rl::rollout {

StatusOr<HealthStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                   const std::string& service, double timeout_s) {
  if (service.size() > 127)
    return absl::InvalidArgumentError("health check: service name too long");
  std::string req;
  if (!service.empty()) {
    req.push_back(static_cast<char>(0x0A));  // field 1, length-delimited
    req.push_back(static_cast<char>(service.size()));
    req += service;
  }
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  grpc::GenericStub stub(channel);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status s = done.get_future().get();
  if (!s.ok()) {
    return Status(static_cast<absl::StatusCode>(s.error_code()),
                  "health check: " + s.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::DataLossError("health check: unreadable reply");
  std::string bytes;
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  if (bytes.empty()) return HealthStatus::kUnknown;  // status 0 is not serialised
  if (bytes.size() != 2 || bytes[0] != 0x08 || bytes[1] < 0 || bytes[1] > 3) {
    return absl::DataLossError("health check: unexpected reply");
  }
  return static_cast<HealthStatus>(bytes[1]);
}

}  // namespace rl::rollout
