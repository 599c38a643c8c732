// The gRPC verifier service (server) and the remote-verifier plugin (client).
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <condition_variable>
#include <mutex>

#include "proto/verifier.grpc.pb.h"
#include "rewards/plugins/grpc_server.h"
#include "rewards/plugins/plugins.h"
#include "rl/core/thread_pool.h"

namespace rl::rewards {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      what + ": " + s.error_message());
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

class Service final : public proto::VerifierService::CallbackService {
 public:
  Service(std::shared_ptr<VerifierRegistry> registry, VerifierServerOptions options)
      : registry_(std::move(registry)), options_(std::move(options)), pool_(options_.threads) {}

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* ctx,
                                   const proto::VerifyRequest* req,
                                   proto::VerifyResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    pool_.Submit([this, ctx, req, resp, reactor] { reactor->Finish(Run(ctx, *req, resp)); });
    return reactor;
  }

  grpc::ServerUnaryReactor* ListVerifiers(grpc::CallbackServerContext* ctx,
                                          const proto::ListVerifiersRequest*,
                                          proto::ListVerifiersResponse* resp) override {
    for (const auto& n : registry_->Names()) resp->add_names(n);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  grpc::Status Run(grpc::CallbackServerContext* ctx, const proto::VerifyRequest& req,
                   proto::VerifyResponse* resp) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    std::string name = req.verifier();
    if (name.empty()) {
      auto it = options_.kind_to_verifier.find(req.task().kind());
      name = it != options_.kind_to_verifier.end() ? it->second : req.task().kind();
    }
    auto verifier = registry_->Get(name);
    if (!verifier.ok()) return ToGrpc(verifier.status());
    tasks::Task task{req.task().id(), req.task().kind(), req.task().prompt(), req.task().answer(),
                     req.task().metadata_json().empty() ? "{}" : req.task().metadata_json()};
    VerifyInput in;
    in.task = &task;
    in.response = req.response();
    in.response_tokens = req.response_tokens();
    in.budget_tokens = req.budget_tokens();
    auto cap = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options_.timeout_s));
    auto client_left = ctx->deadline() - std::chrono::system_clock::now();
    in.deadline =
        std::min(cap, Clock::now() + std::chrono::duration_cast<Clock::duration>(client_left));
    StatusOr<VerifyResult> r = absl::InternalError("verifier threw");
    try {
      r = (*verifier)->Verify(in);
    } catch (const std::exception& e) {
      r = absl::InternalError(std::string("verifier threw: ") + e.what());
    }
    if (!r.ok()) return ToGrpc(r.status());
    if (Clock::now() > in.deadline)
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "verifier too slow");
    resp->set_reward(r->reward);
    resp->set_correct(!r->correct ? proto::VerifyResponse::CORRECT_UNKNOWN
                                  : (*r->correct ? proto::VerifyResponse::CORRECT_TRUE
                                                 : proto::VerifyResponse::CORRECT_FALSE));
    resp->set_details_json(
        r->details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return grpc::Status::OK;
  }

  std::shared_ptr<VerifierRegistry> registry_;
  VerifierServerOptions options_;
  ThreadPool pool_;
};

class GrpcVerifier : public Verifier {
 public:
  GrpcVerifier(std::shared_ptr<grpc::Channel> channel, std::string name, std::string remote,
               double timeout_s)
      : stub_(proto::VerifierService::NewStub(channel)),
        name_(std::move(name)),
        remote_(std::move(remote)),
        timeout_s_(timeout_s) {}
  std::string name() const override { return name_; }

  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    proto::VerifyRequest req;
    auto* t = req.mutable_task();
    t->set_id(in.task->id);
    t->set_kind(in.task->kind);
    t->set_prompt(in.task->prompt);
    t->set_answer(in.task->answer);
    t->set_metadata_json(in.task->metadata);
    req.set_response(std::string(in.response));
    req.set_response_tokens(in.response_tokens);
    req.set_budget_tokens(in.budget_tokens);
    req.set_verifier(remote_.empty() ? name_ : remote_);
    grpc::ClientContext ctx;
    auto left = std::chrono::duration<double>(timeout_s_);
    if (in.deadline != Clock::time_point::max()) {
      left = std::min<std::chrono::duration<double>>(left, in.deadline - Clock::now());
    }
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
    proto::VerifyResponse resp;
    RL_RETURN_IF_ERROR(
        FromGrpc(stub_->Verify(&ctx, req, &resp), "remote verifier '" + name_ + "'"));
    VerifyResult r;
    r.reward = resp.reward();
    if (resp.correct() != proto::VerifyResponse::CORRECT_UNKNOWN) {
      r.correct = resp.correct() == proto::VerifyResponse::CORRECT_TRUE;
    }
    if (!resp.details_json().empty()) {
      try {
        r.details = nlohmann::json::parse(resp.details_json());
      } catch (const nlohmann::json::exception& e) {
        return absl::DataLossError("remote verifier '" + name_ + "': details_json: " + e.what());
      }
    }
    return r;
  }

 private:
  std::unique_ptr<proto::VerifierService::Stub> stub_;
  std::string name_, remote_;
  double timeout_s_;
};

}  // namespace

struct VerifierServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool shut = false;
};

VerifierServer::VerifierServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<VerifierServer>> VerifierServer::Start(
    std::shared_ptr<VerifierRegistry> registry, VerifierServerOptions options) {
  auto impl = std::make_unique<Impl>();
  std::string address = options.address;
  impl->service = std::make_unique<Service>(std::move(registry), std::move(options));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return absl::UnavailableError("verifier server: cannot listen on " + address);
  }
  if (auto* health = impl->server->GetHealthCheckService()) health->SetServingStatus(true);
  return std::unique_ptr<VerifierServer>(new VerifierServer(std::move(impl)));
}

int VerifierServer::port() const { return impl_->port; }

void VerifierServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->shut) return;
    impl_->shut = true;
  }
  if (auto* health = impl_->server->GetHealthCheckService()) health->SetServingStatus(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  impl_->server->Wait();
  impl_->cv.notify_all();
}

void VerifierServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->shut; });
}

VerifierServer::~VerifierServer() {
  Shutdown();
  impl_->server.reset();
  impl_->service.reset();  // joins the pool after the server stopped handing it work
}

StatusOr<std::shared_ptr<Verifier>> MakeGrpcVerifier(const std::string& address,
                                                     const std::string& name,
                                                     const std::string& remote_verifier,
                                                     double default_timeout_s) {
  if (address.empty())
    return absl::InvalidArgumentError("grpc plugin '" + name + "': empty address");
  if (name.empty()) return absl::InvalidArgumentError("grpc plugin: empty name");
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return std::shared_ptr<Verifier>(
      std::make_shared<GrpcVerifier>(channel, name, remote_verifier, default_timeout_s));
}

}  // namespace rl::rewards
