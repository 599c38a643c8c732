// The driver's side of the rollout service: a connection to N workers (rl rollout-worker).
//
//   RL_ASSIGN_OR_RETURN(auto client, RolloutClient::Connect({"127.0.0.1:50051", ...}, {}));
//   RL_ASSIGN_OR_RETURN(WeightSyncStats sync, client->PushWeights(version, config_json, params));
//   RL_ASSIGN_OR_RETURN(std::vector<WorkerSample> samples, client->Generate(requests));
//
// Generate() spreads the requests over the enabled workers (round robin), one bidirectional
// stream per worker, and returns one sample per request. If a worker's stream fails (killed,
// deadline, shutting down, or silent — no sample and no heartbeat for stream_idle_timeout_s),
// its unfinished requests are sent again to the remaining workers; a worker that failed is
// not used again by that call. PushWeights() streams the full parameter set to every enabled
// worker in parallel, each call under its own deadline (weights_timeout_s), and returns once
// every one has the version live, with the bytes and times measured; PushWeightsEach() does
// the same but reports per worker instead of failing, so the caller can drop the workers that
// missed the deadline (SetWorkerEnabled(w, false)): a disabled worker gets no requests and no
// weights until it is enabled again. Connect() waits until every worker answers the standard
// health check. Thread-safe: calls may run concurrently (e.g. a weight push while a Generate
// is in flight; the worker applies it between two decode steps).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proto/rollout.pb.h"
#include "rl/core/status.h"
#include "rl/model/params.h"
#include "rollout/request.h"

namespace rl::rollout {

struct ClientOptions {
  double connect_timeout_s = 30.0;     // per worker, health check SERVING
  double rpc_timeout_s = 30.0;         // Status
  double weights_timeout_s = 600.0;    // one UpdateWeights call
  double generate_timeout_s = 3600.0;  // one Generate stream
  // > 0: a Generate stream that delivers nothing (no sample, no heartbeat) for this long is
  // cancelled and its requests go to the other workers. Workers heartbeat every
  // --heartbeat-ms (2 s by default), so this must be a few heartbeats long.
  double stream_idle_timeout_s = 0;
  int64_t chunk_bytes = int64_t{1} << 20;
  int max_message_bytes = 64 << 20;
};

struct WorkerSample {
  GenerationResult result;
  int worker = -1;  // index into addresses
};

struct WeightSyncStats {
  int64_t version = 0;
  int64_t bytes_per_worker = 0;  // tensor data bytes
  int64_t chunks_per_worker = 0;
  double total_ms = 0;            // call → every worker has the version live
  std::vector<double> worker_ms;  // per worker, the same measured from its own stream
  std::vector<proto::UpdateWeightsReply> replies;
  // Per worker: ok when it has the version live; FailedPrecondition for a disabled worker
  // (not pushed to); else why the push failed (DeadlineExceeded when it missed the deadline).
  std::vector<Status> worker_status;
};

// A Generate stream cancelled by the silence watchdog (ClientOptions::stream_idle_timeout_s).
struct SilentStream {
  int worker = -1;
  double silent_ms = 0;  // time since the stream's last event when it was cancelled
  std::string error;
};

class RolloutClient {
 public:
  static StatusOr<std::unique_ptr<RolloutClient>> Connect(const std::vector<std::string>& addresses,
                                                          ClientOptions options = {});
  ~RolloutClient();

  int num_workers() const;
  const std::string& address(int worker) const;

  StatusOr<proto::WorkerStatus> GetStatus(int worker);

  // config_json: empty keeps the workers' architecture; required for workers started
  // without a model. Fails (naming the worker) if any worker refuses or cannot be reached.
  StatusOr<WeightSyncStats> PushWeights(int64_t version, const std::string& config_json,
                                        const model::ParamMap& params);
  // The same push, never failing as a whole: see WeightSyncStats::worker_status.
  WeightSyncStats PushWeightsEach(int64_t version, const std::string& config_json,
                                  const model::ParamMap& params);

  // The streams cancelled for silence since the previous call (oldest first), so the caller
  // can drop those workers at once instead of waiting for their next deadline.
  std::vector<SilentStream> TakeSilentStreams();

  // Dropped (false) workers take no part in Generate and PushWeights; all start enabled.
  void SetWorkerEnabled(int worker, bool enabled);
  bool worker_enabled(int worker) const;
  int num_enabled() const;

  // One sample per request (request ids must be unique within the call). on_sample, if set,
  // is called as samples arrive (from the stream threads, serialised). Unavailable when
  // every worker failed before all requests were answered.
  StatusOr<std::vector<WorkerSample>> Generate(
      const std::vector<GenerationRequest>& requests,
      const std::function<void(const WorkerSample&)>& on_sample = nullptr);

 private:
  struct Impl;
  explicit RolloutClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl::rollout
