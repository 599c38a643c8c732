// The driver's worker set (driver_internal.h): connecting, weight pushes, health checks, and
// dropping workers that miss rollout.push_timeout_s.
//
// A weight push and a status check each run under push_timeout_s per worker, and a
// generation stream that is silent (no sample, no heartbeat) that long is cancelled (its
// requests go to the other workers). A worker that misses a push or status deadline or whose
// stream went silent — dead, or live but silent (e.g. SIGSTOPped) — is dropped from the set
// (a silent stream's worker at the next push, before pushing): alert `worker_dropped`
// (evidence: address, pid of a local worker, what it missed, the measured milliseconds), no
// more requests or weights. A local worker is then killed (SIGKILL) and restarted on a new
// port (alert `worker_restarted`), and every worker receives the current weights. A listed
// (remote) worker stays dropped until it answers a status check again (alert
// `worker_rejoined`), when it receives the current weights.
#include "rl/driver/driver_internal.h"

namespace rl::driver::internal {
namespace {

double Ms(Clock::time_point a) {
  return std::chrono::duration<double, std::milli>(Clock::now() - a).count();
}

}  // namespace

Status Driver::Reconnect() {
  if (!OnPrefetchThread()) JoinPrefetch();  // the prefetch thread must not lose its client
  rollout::ClientOptions co;
  co.generate_timeout_s = cfg_.rollout.request_timeout_s;
  co.weights_timeout_s = cfg_.rollout.push_timeout_s;
  co.rpc_timeout_s = std::min(cfg_.rollout.push_timeout_s, cfg_.rollout.request_timeout_s);
  co.stream_idle_timeout_s = cfg_.rollout.push_timeout_s;
  client_.reset();
  RL_ASSIGN_OR_RETURN(client_, rollout::RolloutClient::Connect(addresses_, co));
  return absl::OkStatus();
}

Status Driver::DropWorkers(const std::vector<MissedDeadline>& missed, int64_t step) {
  if (missed.empty()) return absl::OkStatus();
  const bool local = cfg_.rollout.workers > 0;
  for (const MissedDeadline& m : missed) {
    nlohmann::json ev = {{"worker", client_->address(m.worker)},
                         {"index", m.worker},
                         {"missed", m.what},
                         {"elapsed_ms", m.elapsed_ms},
                         {"deadline_s", cfg_.rollout.push_timeout_s},
                         {"error", m.error}};
    if (local) ev["pid"] = workers_.pids().at(static_cast<size_t>(m.worker));
    Alert(step, "worker_dropped",
          client_->address(m.worker) + " missed the " + m.what + " deadline (" +
              std::to_string(cfg_.rollout.push_timeout_s) + " s): " + m.error,
          "warning", ev);
    client_->SetWorkerEnabled(m.worker, false);
  }
  if (!local) {
    if (client_->num_enabled() == 0) {
      return absl::UnavailableError("every rollout worker was dropped (missed deadlines)");
    }
    return absl::OkStatus();
  }
  for (const MissedDeadline& m : missed) {
    RL_RETURN_IF_ERROR(workers_.Restart(static_cast<size_t>(m.worker)));
  }
  Alert(step, "worker_restarted",
        std::to_string(missed.size()) + " local rollout worker(s) restarted after a missed " +
            missed.front().what + " deadline");
  addresses_ = workers_.addresses();
  return Reconnect();
}

// One push to every enabled worker; the workers that miss it are dropped (local ones
// restarted), and after a restart every worker is pushed to once more (the replacements start
// without weights). A second failure in a row is an error.
Status Driver::PushWeights(int64_t version, int64_t step) {
  const auto t0 = Clock::now();
  int64_t dropped = 0;
  double push_ms = 0;
  auto done = [&](const rollout::WeightSyncStats& s) {
    version_ = version;
    if (quiet_sync_) return absl::OkStatus();  // cold-start pushes are not RL steps
    ctx_.store->LogMetrics(ctx_.run_id, step,
                           {{"sync/seconds", Ms(t0) / 1000.0},
                            {"sync/push_seconds", push_ms / 1000.0},
                            {"sync/bytes", static_cast<double>(s.bytes_per_worker)},
                            {"sync/workers_dropped", static_cast<double>(dropped)}});
    return absl::OkStatus();
  };
  // Workers whose generation stream went silent this step are dropped before the push.
  std::vector<MissedDeadline> silent;
  for (const rollout::SilentStream& ss : client_->TakeSilentStreams()) {
    bool seen = false;
    for (const auto& m : silent) seen |= m.worker == ss.worker;
    if (!seen && client_->worker_enabled(ss.worker))
      silent.push_back({ss.worker, "generation stream", ss.silent_ms, ss.error});
  }
  if (!silent.empty()) {
    dropped += static_cast<int64_t>(silent.size());
    RL_RETURN_IF_ERROR(DropWorkers(silent, step));
  }
  for (int attempt = 0;; ++attempt) {
    rollout::WeightSyncStats s =
        client_->PushWeightsEach(version, config_json_, learner_->params());
    push_ms += s.total_ms;
    std::vector<MissedDeadline> missed;
    for (int w = 0; w < client_->num_workers(); ++w) {
      if (!client_->worker_enabled(w) || s.worker_status[w].ok()) continue;
      missed.push_back(
          {w, "weight push", s.worker_ms[w], std::string(s.worker_status[w].message())});
    }
    if (missed.empty()) {
      if (client_->num_enabled() == 0) {
        return absl::UnavailableError("no rollout worker left to receive weights v" +
                                      std::to_string(version));
      }
      return done(s);
    }
    if (attempt > 0 && cfg_.rollout.workers > 0) {
      return absl::UnavailableError("weight push v" + std::to_string(version) +
                                    " failed again after restarting workers: " + missed[0].error);
    }
    dropped += static_cast<int64_t>(missed.size());
    RL_RETURN_IF_ERROR(DropWorkers(missed, step));
    if (cfg_.rollout.workers == 0) {  // the rest already have the version
      return done(s);
    }
  }
}

// After a step: every enabled worker must answer Status within the deadline (else it is
// dropped); dead local workers are restarted; dropped remote workers that answer again rejoin.
// Whenever the set changed, every worker receives the current weights.
Status Driver::CheckWorkers(int64_t step) {
  std::vector<MissedDeadline> missed;
  std::vector<int> rejoined;
  for (int i = 0; i < client_->num_workers(); ++i) {
    const auto t0 = Clock::now();
    auto st = client_->GetStatus(i);
    if (client_->worker_enabled(i) && !st.ok()) {
      missed.push_back({i, "status", Ms(t0), std::string(st.status().message())});
    } else if (!client_->worker_enabled(i) && st.ok()) {
      rejoined.push_back(i);
    }
  }
  bool changed = !missed.empty();
  RL_RETURN_IF_ERROR(DropWorkers(missed, step));
  if (cfg_.rollout.workers > 0) {
    RL_ASSIGN_OR_RETURN(int restarted, workers_.RestartDead());
    if (restarted > 0) {
      Alert(step, "worker_restarted",
            std::to_string(restarted) + " local rollout worker(s) restarted");
      addresses_ = workers_.addresses();
      RL_RETURN_IF_ERROR(Reconnect());
      changed = true;
    }
  }
  for (int i : rejoined) {
    Alert(step, "worker_rejoined", client_->address(i) + " answers again; it gets the weights",
          "info", {{"worker", client_->address(i)}, {"index", i}});
    client_->SetWorkerEnabled(i, true);
    changed = true;
  }
  if (changed) RL_RETURN_IF_ERROR(PushWeights(version_, step));
  return absl::OkStatus();
}

}  // namespace rl::driver::internal
