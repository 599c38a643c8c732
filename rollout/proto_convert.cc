#include "rollout/proto_convert.h"

namespace rl::rollout {

GenerationRequest FromProto(const proto::GenerateRequest& in) {
  GenerationRequest r;
  r.request_id = in.request_id();
  r.group_index = in.group_index();
  r.prompt.assign(in.prompt_tokens().begin(), in.prompt_tokens().end());
  r.max_new_tokens = in.max_new_tokens();
  r.sampling.temperature = in.sampling().temperature();
  r.sampling.top_p = in.sampling().top_p() == 0.0f ? 1.0f : in.sampling().top_p();
  r.sampling.top_k = in.sampling().top_k();
  r.sampling.min_p = in.sampling().min_p();
  r.sampling.vocab_limit = in.sampling().vocab_limit();
  r.seed = in.seed();
  r.stop_tokens.assign(in.stop_tokens().begin(), in.stop_tokens().end());
  r.min_policy_version = in.min_policy_version();
  return r;
}

proto::GenerateRequest ToProto(const GenerationRequest& in) {
  proto::GenerateRequest r;
  r.set_request_id(in.request_id);
  r.set_group_index(in.group_index);
  r.mutable_prompt_tokens()->Add(in.prompt.begin(), in.prompt.end());
  r.set_max_new_tokens(static_cast<int32_t>(in.max_new_tokens));
  r.mutable_sampling()->set_temperature(static_cast<float>(in.sampling.temperature));
  r.mutable_sampling()->set_top_p(static_cast<float>(in.sampling.top_p));
  r.mutable_sampling()->set_top_k(static_cast<int32_t>(in.sampling.top_k));
  r.mutable_sampling()->set_min_p(static_cast<float>(in.sampling.min_p));
  r.mutable_sampling()->set_vocab_limit(in.sampling.vocab_limit);
  r.set_seed(in.seed);
  r.mutable_stop_tokens()->Add(in.stop_tokens.begin(), in.stop_tokens.end());
  r.set_min_policy_version(in.min_policy_version);
  return r;
}

proto::FinishReason ToProto(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos:
      return proto::FINISH_REASON_EOS;
    case FinishReason::kLength:
      return proto::FINISH_REASON_LENGTH;
    case FinishReason::kRepetition:
      return proto::FINISH_REASON_REPETITION;
    case FinishReason::kAborted:
      return proto::FINISH_REASON_ABORTED;
  }
  return proto::FINISH_REASON_UNSPECIFIED;
}

FinishReason FromProto(proto::FinishReason reason) {
  switch (reason) {
    case proto::FINISH_REASON_EOS:
      return FinishReason::kEos;
    case proto::FINISH_REASON_LENGTH:
      return FinishReason::kLength;
    case proto::FINISH_REASON_REPETITION:
      return FinishReason::kRepetition;
    default:
      return FinishReason::kAborted;
  }
}

void ToProto(const GenerationResult& in, const std::string& worker, proto::Sample* out) {
  out->Clear();
  out->set_request_id(in.request_id);
  out->set_group_index(in.group_index);
  out->mutable_tokens()->Add(in.tokens.begin(), in.tokens.end());
  out->mutable_logprobs()->Add(in.logprobs.begin(), in.logprobs.end());
  out->set_finish_reason(ToProto(in.finish_reason));
  if (in.breaker != BreakerTrip::kNone) out->set_breaker(std::string(BreakerTripName(in.breaker)));
  out->set_policy_version(in.policy_version);
  for (const VersionSpan& v : in.versions) {
    proto::VersionSpan* s = out->add_versions();
    s->set_version(v.version);
    s->set_first_token(v.first_token);
  }
  out->mutable_timings()->set_queue_ms(in.timings.queue_ms);
  out->mutable_timings()->set_prefill_ms(in.timings.prefill_ms);
  out->mutable_timings()->set_decode_ms(in.timings.decode_ms);
  out->mutable_timings()->set_total_ms(in.timings.total_ms);
  out->set_prompt_tokens(in.prompt_tokens);
  out->set_error(in.error);
  out->set_worker(worker);
}

GenerationResult FromProto(const proto::Sample& in) {
  GenerationResult r;
  r.request_id = in.request_id();
  r.group_index = in.group_index();
  r.tokens.assign(in.tokens().begin(), in.tokens().end());
  r.logprobs.assign(in.logprobs().begin(), in.logprobs().end());
  r.finish_reason = FromProto(in.finish_reason());
  if (in.breaker() == "high_probability") r.breaker = BreakerTrip::kHighProbability;
  if (in.breaker() == "ngram") r.breaker = BreakerTrip::kNgram;
  r.policy_version = in.policy_version();
  for (const auto& v : in.versions()) r.versions.push_back({v.version(), v.first_token()});
  r.timings = {in.timings().queue_ms(), in.timings().prefill_ms(), in.timings().decode_ms(),
               in.timings().total_ms()};
  r.prompt_tokens = in.prompt_tokens();
  r.error = in.error();
  return r;
}

}  // namespace rl::rollout
