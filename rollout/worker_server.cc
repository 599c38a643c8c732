#include "rollout/worker_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "proto/rollout.grpc.pb.h"
#include "rl/core/logging.h"
#include "rollout/proto_convert.h"
#include "rollout/weight_codec.h"

namespace rl::rollout {
namespace {

using SteadyClock = std::chrono::steady_clock;

grpc::Status ToGrpc(const Status& st) {
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

class GenerateReactor;

// What engine callbacks and the heartbeat thread hold: outlives the reactor; `reactor` is
// cleared (under mu) in OnDone before the reactor is deleted.
struct StreamSink {
  std::mutex mu;
  GenerateReactor* reactor = nullptr;
};

struct ServiceState {
  RolloutEngine* engine = nullptr;
  std::string address;
  int heartbeat_ms = 2000;
  std::mutex mu;
  std::set<std::shared_ptr<StreamSink>> streams;
  bool shutting_down = false;
};

class GenerateReactor
    : public grpc::ServerBidiReactor<proto::GenerateMessage, proto::GenerateEvent> {
 public:
  explicit GenerateReactor(ServiceState* state)
      : state_(state), sink_(std::make_shared<StreamSink>()) {
    sink_->reactor = this;
    bool shutting_down;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->streams.insert(sink_);
      shutting_down = state_->shutting_down;
    }
    last_write_ = SteadyClock::now();
    if (shutting_down) {
      std::lock_guard<std::mutex> lock(sink_->mu);
      shutdown_ = true;
      MaybeFinishLocked();
      return;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      std::lock_guard<std::mutex> lock(sink_->mu);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    if (in_.has_request()) {
      GenerationRequest req = FromProto(in_.request());
      const std::string id = req.request_id;
      bool duplicate;
      {
        std::lock_guard<std::mutex> lock(sink_->mu);
        duplicate = handles_.count(id) > 0;
        if (!duplicate) {
          handles_[id] = 0;
          ++outstanding_;
        }
      }
      if (duplicate) {
        GenerationResult r;
        r.request_id = id;
        r.group_index = req.group_index;
        r.error = "request_id '" + id + "' is already outstanding on this stream";
        std::lock_guard<std::mutex> lock(sink_->mu);
        EnqueueSampleLocked(r);
      } else {
        std::shared_ptr<StreamSink> sink = sink_;
        const std::string worker = state_->address;
        uint64_t h = state_->engine->Submit(std::move(req), [sink](GenerationResult r) {
          std::lock_guard<std::mutex> lock(sink->mu);
          if (sink->reactor != nullptr) sink->reactor->OnSampleLocked(std::move(r));
        });
        std::lock_guard<std::mutex> lock(sink_->mu);
        auto it = handles_.find(id);
        if (it != handles_.end()) it->second = h;  // absent when answered inline
      }
    } else if (in_.has_cancel()) {
      uint64_t h = 0;
      {
        std::lock_guard<std::mutex> lock(sink_->mu);
        auto it = handles_.find(in_.cancel().request_id());
        if (it != handles_.end()) h = it->second;
      }
      if (h != 0) state_->engine->Cancel(h);
    }
    std::lock_guard<std::mutex> lock(sink_->mu);
    if (!finished_) StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(sink_->mu);
    writing_ = false;
    last_write_ = SteadyClock::now();
    if (!ok) {
      broken_ = true;
      pending_.clear();
    } else if (!pending_.empty()) {
      WriteNextLocked();
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {
    std::vector<uint64_t> handles;
    {
      std::lock_guard<std::mutex> lock(sink_->mu);
      broken_ = true;
      pending_.clear();
      for (const auto& [id, h] : handles_) handles.push_back(h);
      MaybeFinishLocked();
    }
    for (uint64_t h : handles) {
      if (h != 0) state_->engine->Cancel(h);
    }
  }

  void OnDone() override {
    std::shared_ptr<StreamSink> sink = sink_;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->streams.erase(sink);
    }
    {
      std::lock_guard<std::mutex> lock(sink->mu);
      sink->reactor = nullptr;
    }
    delete this;
  }

  // Called with sink->mu held.
  void OnSampleLocked(GenerationResult r) {
    handles_.erase(r.request_id);
    --outstanding_;
    EnqueueSampleLocked(r);
    MaybeFinishLocked();
  }

  void MaybeHeartbeatLocked(const proto::Heartbeat& hb, SteadyClock::time_point now) {
    if (finished_ || writing_ || !pending_.empty()) return;
    if (now - last_write_ < std::chrono::milliseconds(state_->heartbeat_ms)) return;
    proto::GenerateEvent e;
    *e.mutable_heartbeat() = hb;
    pending_.push_back(std::move(e));
    WriteNextLocked();
  }

  void BeginShutdownLocked() {
    shutdown_ = true;
    MaybeFinishLocked();
  }

 private:
  void EnqueueSampleLocked(const GenerationResult& r) {
    if (finished_ || broken_) return;
    proto::GenerateEvent e;
    ToProto(r, state_->address, e.mutable_sample());
    pending_.push_back(std::move(e));
    if (!writing_) WriteNextLocked();
  }

  void WriteNextLocked() {
    out_ = std::move(pending_.front());
    pending_.pop_front();
    writing_ = true;
    StartWrite(&out_);
  }

  void MaybeFinishLocked() {
    if (finished_ || writing_) return;
    if (broken_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (!pending_.empty() || outstanding_ > 0) return;
    if (shutdown_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "rollout worker shutting down"));
    } else if (reads_done_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  ServiceState* state_;
  std::shared_ptr<StreamSink> sink_;
  proto::GenerateMessage in_;
  proto::GenerateEvent out_;
  // Guarded by sink_->mu:
  std::deque<proto::GenerateEvent> pending_;
  std::map<std::string, uint64_t> handles_;  // outstanding request id → engine handle
  int64_t outstanding_ = 0;
  bool writing_ = false, reads_done_ = false, broken_ = false, finished_ = false;
  bool shutdown_ = false;
  SteadyClock::time_point last_write_;
};

class UpdateWeightsReactor : public grpc::ServerReadReactor<proto::WeightChunk> {
 public:
  UpdateWeightsReactor(ServiceState* state, proto::UpdateWeightsReply* reply)
      : state_(state), reply_(reply) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      if (assembler_.chunks() == 0) first_ = SteadyClock::now();
      Status st = assembler_.Add(chunk_);
      if (!st.ok()) {
        Finish(ToGrpc(st));
        return;
      }
      StartRead(&chunk_);
      return;
    }
    const SteadyClock::time_point received = SteadyClock::now();
    StatusOr<WeightUpdate> update = assembler_.Finish();
    if (!update.ok()) {
      Finish(ToGrpc(update.status()));
      return;
    }
    reply_->set_version(update->version);
    reply_->set_bytes(assembler_.bytes());
    reply_->set_tensors(static_cast<int64_t>(update->params.size()));
    reply_->set_receive_ms(std::chrono::duration<double, std::milli>(received - first_).count());
    state_->engine->UpdateWeights(
        std::move(update).value(), [this, received](const WeightApplyResult& r) {
          reply_->set_apply_ms(
              std::chrono::duration<double, std::milli>(SteadyClock::now() - received).count());
          if (r.status.ok()) {
            RL_LOG(Info) << "weights v" << r.version << " live (" << reply_->bytes()
                         << " bytes, receive " << reply_->receive_ms() << " ms, apply "
                         << reply_->apply_ms() << " ms)";
          }
          Finish(r.status.ok() ? grpc::Status::OK : ToGrpc(r.status));
        });
  }

  void OnDone() override { delete this; }

 private:
  ServiceState* state_;
  proto::UpdateWeightsReply* reply_;
  proto::WeightChunk chunk_;
  WeightAssembler assembler_;
  SteadyClock::time_point first_;
};

class RolloutServiceImpl : public proto::Rollout::CallbackService {
 public:
  explicit RolloutServiceImpl(ServiceState* state) : state_(state) {}

  grpc::ServerBidiReactor<proto::GenerateMessage, proto::GenerateEvent>* Generate(
      grpc::CallbackServerContext*) override {
    return new GenerateReactor(state_);  // deletes itself in OnDone (gRPC's reactor contract)
  }

  grpc::ServerReadReactor<proto::WeightChunk>* UpdateWeights(
      grpc::CallbackServerContext*, proto::UpdateWeightsReply* reply) override {
    return new UpdateWeightsReactor(state_, reply);  // deletes itself in OnDone
  }

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const proto::StatusRequest*,
                                   proto::WorkerStatus* out) override {
    const SchedulerStats s = state_->engine->Stats();
    out->set_has_model(s.policy_version >= 0);
    out->set_policy_version(s.policy_version);
    out->set_live_sequences(s.live_sequences);
    out->set_queued_requests(s.queued_requests);
    out->set_tokens_generated(s.tokens_generated);
    out->set_samples_finished(s.samples_finished);
    out->set_trips_high_probability(s.trips_high_probability);
    out->set_trips_ngram(s.trips_ngram);
    out->set_state_bytes_in_use(s.state_bytes_in_use);
    out->set_state_bytes_limit(state_->engine->state_bytes_limit());
    out->set_num_parameters(state_->engine->num_parameters());
    out->set_listen(state_->address);
    out->set_weight_updates(s.weight_updates);
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  ServiceState* state_;
};

}  // namespace

struct RolloutWorker::Impl {
  WorkerOptions options;
  std::unique_ptr<RolloutEngine> engine;
  ServiceState state;
  std::unique_ptr<RolloutServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  std::mutex mu;
  std::condition_variable cv;
  bool stop_heartbeats = false;
  bool shut_down = false;
  std::thread heartbeats;

  void HeartbeatLoop() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stop_heartbeats) {
      cv.wait_for(lock, std::chrono::milliseconds(std::max(10, options.heartbeat_ms / 4)));
      if (stop_heartbeats) break;
      const SchedulerStats s = engine->Stats();
      proto::Heartbeat hb;
      hb.set_policy_version(s.policy_version);
      hb.set_live_sequences(s.live_sequences);
      hb.set_queued_requests(s.queued_requests);
      hb.set_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
      std::vector<std::shared_ptr<StreamSink>> sinks;
      {
        std::lock_guard<std::mutex> l(state.mu);
        sinks.assign(state.streams.begin(), state.streams.end());
      }
      const auto now = SteadyClock::now();
      for (auto& sink : sinks) {
        std::lock_guard<std::mutex> l(sink->mu);
        if (sink->reactor != nullptr) sink->reactor->MaybeHeartbeatLocked(hb, now);
      }
    }
  }
};

RolloutWorker::RolloutWorker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RolloutWorker::~RolloutWorker() { Shutdown(); }

const std::string& RolloutWorker::address() const { return impl_->address; }
RolloutEngine& RolloutWorker::engine() { return *impl_->engine; }

StatusOr<std::unique_ptr<RolloutWorker>> RolloutWorker::Start(std::unique_ptr<RolloutEngine> engine,
                                                              WorkerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->engine = std::move(engine);
  impl->state.engine = impl->engine.get();
  impl->state.heartbeat_ms = options.heartbeat_ms;
  impl->service = std::make_unique<RolloutServiceImpl>(&impl->state);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(impl->service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    return absl::UnavailableError("rollout worker: cannot listen on '" + options.listen + "'");
  }
  const size_t colon = options.listen.rfind(':');
  impl->address = options.listen.substr(0, colon) + ":" + std::to_string(port);
  impl->state.address = impl->address;
  if (auto* health = impl->server->GetHealthCheckService()) {
    health->SetServingStatus("rl.proto.Rollout", true);
  }
  Impl* raw = impl.get();
  impl->heartbeats = std::thread([raw] { raw->HeartbeatLoop(); });
  return std::unique_ptr<RolloutWorker>(new RolloutWorker(std::move(impl)));
}

void RolloutWorker::Shutdown() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.shut_down) return;
    m.shut_down = true;
  }
  if (auto* health = m.server->GetHealthCheckService()) health->SetServingStatus(false);
  // Streams are marked first, so the ABORTED samples the engine returns for outstanding
  // requests end them with UNAVAILABLE (the client retries elsewhere), not OK.
  std::vector<std::shared_ptr<StreamSink>> sinks;
  {
    std::lock_guard<std::mutex> lock(m.state.mu);
    m.state.shutting_down = true;
    sinks.assign(m.state.streams.begin(), m.state.streams.end());
  }
  for (auto& sink : sinks) {
    std::lock_guard<std::mutex> l(sink->mu);
    if (sink->reactor != nullptr) sink->reactor->BeginShutdownLocked();
  }
  m.engine->Stop("rollout worker shutting down");
  const auto grace =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(m.options.shutdown_grace_s * 1000));
  m.server->Shutdown(grace);
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.stop_heartbeats = true;
    m.cv.notify_all();
  }
  if (m.heartbeats.joinable()) m.heartbeats.join();
  m.server->Wait();
}

}  // namespace rl::rollout
