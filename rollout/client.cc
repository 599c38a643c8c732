#include "rollout/client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "proto/rollout.grpc.pb.h"
#include "rollout/health_check.h"
#include "rollout/proto_convert.h"
#include "rollout/weight_codec.h"

namespace rl::rollout {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::chrono::system_clock::time_point Deadline(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

Status FromGrpc(const grpc::Status& s, const std::string& where) {
  if (s.ok()) return absl::OkStatus();
  return Status(static_cast<absl::StatusCode>(s.error_code()), where + ": " + s.error_message());
}

double MsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t).count();
}

}  // namespace

struct RolloutClient::Impl {
  ClientOptions options;
  std::vector<std::string> addresses;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<proto::Rollout::Stub>> stubs;
  mutable std::mutex enabled_mu;
  std::vector<bool> enabled;         // guarded by enabled_mu
  std::vector<SilentStream> silent;  // guarded by enabled_mu

  std::vector<bool> Enabled() const {
    std::lock_guard<std::mutex> lock(enabled_mu);
    return enabled;
  }

  struct StreamOutcome {
    Status status;
    std::vector<size_t> unanswered;  // request indices to send elsewhere
  };

  // One Generate stream to worker w carrying requests[idx...].
  StreamOutcome RunStream(int w, const std::vector<GenerationRequest>& requests,
                          const std::vector<size_t>& idx,
                          const std::map<std::string, size_t>& by_id,
                          std::vector<std::optional<WorkerSample>>* results, std::mutex* mu,
                          const std::function<void(const WorkerSample&)>& on_sample) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(options.generate_timeout_s));
    // Silence watchdog: cancels the call when nothing arrives for stream_idle_timeout_s
    // (a live-but-silent worker, e.g. SIGSTOPped, would otherwise hold it to the deadline).
    std::mutex idle_mu;
    std::condition_variable idle_cv;
    bool stream_done = false, idle_cancelled = false;
    double silent_ms = 0;
    SteadyClock::time_point last_event = SteadyClock::now();
    std::thread watchdog;
    if (options.stream_idle_timeout_s > 0) {
      const auto idle = std::chrono::duration_cast<SteadyClock::duration>(
          std::chrono::duration<double>(options.stream_idle_timeout_s));
      watchdog = std::thread([&] {
        std::unique_lock<std::mutex> lock(idle_mu);
        while (!stream_done) {
          const auto until = last_event + idle;
          if (SteadyClock::now() >= until) {
            idle_cancelled = true;
            silent_ms =
                std::chrono::duration<double, std::milli>(SteadyClock::now() - last_event).count();
            ctx.TryCancel();
            return;
          }
          idle_cv.wait_until(lock, until);
        }
      });
    }
    auto stream = stubs[w]->Generate(&ctx);
    for (size_t i : idx) {
      proto::GenerateMessage m;
      *m.mutable_request() = ToProto(requests[i]);
      if (!stream->Write(m)) break;
    }
    stream->WritesDone();
    std::map<size_t, WorkerSample> got;
    proto::GenerateEvent e;
    while (stream->Read(&e)) {
      {
        std::lock_guard<std::mutex> lock(idle_mu);
        last_event = SteadyClock::now();
      }
      if (!e.has_sample()) continue;  // heartbeat
      auto it = by_id.find(e.sample().request_id());
      if (it == by_id.end()) continue;
      got[it->second] = WorkerSample{FromProto(e.sample()), w};
    }
    StreamOutcome out;
    out.status = FromGrpc(stream->Finish(), "rollout worker " + addresses[w] + " Generate");
    if (watchdog.joinable()) {
      {
        std::lock_guard<std::mutex> lock(idle_mu);
        stream_done = true;
      }
      idle_cv.notify_all();
      watchdog.join();
    }
    if (idle_cancelled) {
      out.status = absl::DeadlineExceededError(
          "rollout worker " + addresses[w] + " Generate: no sample or heartbeat for " +
          std::to_string(options.stream_idle_timeout_s) + " s");
      std::lock_guard<std::mutex> lock(enabled_mu);
      silent.push_back({w, silent_ms, std::string(out.status.message())});
    }
    std::lock_guard<std::mutex> lock(*mu);
    for (size_t i : idx) {
      auto it = got.find(i);
      // A failed stream's worker-side aborts (shutting down) are retried elsewhere.
      const bool final =
          it != got.end() &&
          (out.status.ok() || it->second.result.finish_reason != FinishReason::kAborted ||
           it->second.result.error.empty());
      if (!final) {
        out.unanswered.push_back(i);
        continue;
      }
      (*results)[i] = std::move(it->second);
      if (on_sample) on_sample(*(*results)[i]);
    }
    return out;
  }
};

RolloutClient::RolloutClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RolloutClient::~RolloutClient() = default;

int RolloutClient::num_workers() const { return static_cast<int>(impl_->addresses.size()); }

void RolloutClient::SetWorkerEnabled(int worker, bool enabled) {
  std::lock_guard<std::mutex> lock(impl_->enabled_mu);
  impl_->enabled.at(worker) = enabled;
}
std::vector<SilentStream> RolloutClient::TakeSilentStreams() {
  std::lock_guard<std::mutex> lock(impl_->enabled_mu);
  std::vector<SilentStream> out;
  out.swap(impl_->silent);
  return out;
}
bool RolloutClient::worker_enabled(int worker) const {
  std::lock_guard<std::mutex> lock(impl_->enabled_mu);
  return impl_->enabled.at(worker);
}
int RolloutClient::num_enabled() const {
  std::lock_guard<std::mutex> lock(impl_->enabled_mu);
  int n = 0;
  for (bool e : impl_->enabled) n += e ? 1 : 0;
  return n;
}
const std::string& RolloutClient::address(int worker) const { return impl_->addresses.at(worker); }

StatusOr<std::unique_ptr<RolloutClient>> RolloutClient::Connect(
    const std::vector<std::string>& addresses, ClientOptions options) {
  if (addresses.empty()) return absl::InvalidArgumentError("rollout client: no worker addresses");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->addresses = addresses;
  for (const std::string& a : addresses) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(options.max_message_bytes);
    args.SetMaxSendMessageSize(options.max_message_bytes);
    auto ch = grpc::CreateCustomChannel(a, grpc::InsecureChannelCredentials(), args);
    if (!ch->WaitForConnected(Deadline(options.connect_timeout_s))) {
      return absl::UnavailableError("rollout worker " + a + ": not reachable within " +
                                    std::to_string(options.connect_timeout_s) + " s");
    }
    auto health = CheckHealth(ch, "rl.proto.Rollout", options.rpc_timeout_s);
    if (!health.ok())
      return Status(health.status().code(),
                    "rollout worker " + a + ": " + std::string(health.status().message()));
    if (*health != HealthStatus::kServing) {
      return absl::UnavailableError("rollout worker " + a + ": health check says not serving");
    }
    impl->stubs.push_back(proto::Rollout::NewStub(ch));
    impl->channels.push_back(std::move(ch));
  }
  impl->enabled.assign(addresses.size(), true);
  return std::unique_ptr<RolloutClient>(new RolloutClient(std::move(impl)));
}

StatusOr<proto::WorkerStatus> RolloutClient::GetStatus(int worker) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(impl_->options.rpc_timeout_s));
  proto::WorkerStatus out;
  RL_RETURN_IF_ERROR(FromGrpc(impl_->stubs.at(worker)->Status(&ctx, {}, &out),
                              "rollout worker " + impl_->addresses[worker] + " Status"));
  return out;
}

StatusOr<WeightSyncStats> RolloutClient::PushWeights(int64_t version,
                                                     const std::string& config_json,
                                                     const model::ParamMap& params) {
  WeightSyncStats stats = PushWeightsEach(version, config_json, params);
  bool any = false;
  for (int w = 0; w < num_workers(); ++w) {
    if (stats.worker_status[w].code() == absl::StatusCode::kFailedPrecondition &&
        !worker_enabled(w)) {
      continue;  // dropped: not part of this push
    }
    RL_RETURN_IF_ERROR(stats.worker_status[w]);
    any = true;
  }
  if (!any) return absl::UnavailableError("rollout client: no enabled worker to push weights to");
  return stats;
}

WeightSyncStats RolloutClient::PushWeightsEach(int64_t version, const std::string& config_json,
                                               const model::ParamMap& params) {
  const int n = num_workers();
  const std::vector<bool> enabled = impl_->Enabled();
  WeightSyncStats stats;
  stats.version = version;
  stats.worker_ms.assign(n, 0.0);
  stats.replies.resize(n);
  std::vector<Status> status(n);
  std::vector<EncodeStats> enc(n);
  const SteadyClock::time_point start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    if (!enabled[w]) {
      status[w] = absl::FailedPreconditionError("rollout worker " + impl_->addresses[w] +
                                                ": dropped (disabled), not pushed to");
      continue;
    }
    threads.emplace_back([&, w] {
      const SteadyClock::time_point t0 = SteadyClock::now();
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(impl_->options.weights_timeout_s));
      auto writer = impl_->stubs[w]->UpdateWeights(&ctx, &stats.replies[w]);
      auto e = EncodeWeights(version, config_json, params, impl_->options.chunk_bytes,
                             [&](const proto::WeightChunk& c) { return writer->Write(c); });
      writer->WritesDone();
      Status fin =
          FromGrpc(writer->Finish(), "rollout worker " + impl_->addresses[w] + " UpdateWeights");
      status[w] = !fin.ok() ? fin : e.status();
      if (e.ok()) enc[w] = *e;
      stats.worker_ms[w] = MsSince(t0);
    });
  }
  for (auto& t : threads) t.join();
  stats.total_ms = MsSince(start);
  for (int w = 0; w < n; ++w) {
    if (status[w].ok() && stats.bytes_per_worker == 0) {
      stats.bytes_per_worker = enc[w].bytes;
      stats.chunks_per_worker = enc[w].chunks;
    }
  }
  stats.worker_status = std::move(status);
  return stats;
}

StatusOr<std::vector<WorkerSample>> RolloutClient::Generate(
    const std::vector<GenerationRequest>& requests,
    const std::function<void(const WorkerSample&)>& on_sample) {
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!by_id.emplace(requests[i].request_id, i).second) {
      return absl::InvalidArgumentError("rollout client: duplicate request_id '" +
                                        requests[i].request_id + "'");
    }
  }
  std::vector<std::optional<WorkerSample>> results(requests.size());
  std::vector<bool> healthy = impl_->Enabled();
  std::vector<size_t> remaining(requests.size());
  for (size_t i = 0; i < remaining.size(); ++i) remaining[i] = i;
  std::mutex mu;
  Status last_error;
  while (!remaining.empty()) {
    std::vector<int> workers;
    for (int w = 0; w < num_workers(); ++w) {
      if (healthy[w]) workers.push_back(w);
    }
    if (workers.empty()) {
      return absl::UnavailableError(
          "rollout client: every worker failed with " + std::to_string(remaining.size()) +
          " requests unanswered; last error: " + std::string(last_error.message()));
    }
    std::vector<std::vector<size_t>> share(num_workers());
    for (size_t k = 0; k < remaining.size(); ++k)
      share[workers[k % workers.size()]].push_back(remaining[k]);
    std::vector<Impl::StreamOutcome> outcome(num_workers());
    std::vector<std::thread> threads;
    for (int w : workers) {
      if (share[w].empty()) continue;
      threads.emplace_back([&, w] {
        outcome[w] = impl_->RunStream(w, requests, share[w], by_id, &results, &mu, on_sample);
      });
    }
    for (auto& t : threads) t.join();
    remaining.clear();
    for (int w : workers) {
      if (!outcome[w].status.ok() || !outcome[w].unanswered.empty()) {
        healthy[w] = false;
        last_error = outcome[w].status.ok()
                         ? absl::DataLossError(impl_->addresses[w] + ": stream ended early")
                         : outcome[w].status;
      }
      remaining.insert(remaining.end(), outcome[w].unanswered.begin(), outcome[w].unanswered.end());
    }
  }
  std::vector<WorkerSample> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

}  // namespace rl::rollout
