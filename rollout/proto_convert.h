// Conversions between the rollout engine's values (request.h) and the wire messages of
// proto/rollout.proto. Pure functions.
#pragma once

#include <string>

#include "proto/rollout.pb.h"
#include "rollout/request.h"

namespace rl::rollout {

GenerationRequest FromProto(const proto::GenerateRequest& in);
proto::GenerateRequest ToProto(const GenerationRequest& in);

// worker: the address the sample is tagged with.
void ToProto(const GenerationResult& in, const std::string& worker, proto::Sample* out);
GenerationResult FromProto(const proto::Sample& in);

proto::FinishReason ToProto(FinishReason reason);
FinishReason FromProto(proto::FinishReason reason);

}  // namespace rl::rollout
