// The gRPC worker and client in one process on loopback (toy backend): protocol behaviour —
// health, status, generation through the client, weight push to a model-less worker,
// heartbeats on a silent stream, failover when a worker shuts down mid-generation.
#include "rollout/worker_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "proto/rollout.grpc.pb.h"
#include "rollout/client.h"
#include "rollout/health_check.h"
#include "rollout/proto_convert.h"
#include "toy_backend.h"

namespace rl::rollout {
namespace {

using testing::ToyBackend;

std::unique_ptr<RolloutWorker> StartToyWorker(bool with_model, int heartbeat_ms = 2000) {
  SchedulerOptions opt;
  opt.max_batch = 4;
  opt.repetition.consecutive = 0;
  auto engine =
      std::make_unique<RolloutEngine>(std::make_unique<ToyBackend>(32, 5, with_model), opt);
  WorkerOptions w;
  w.listen = "127.0.0.1:0";
  w.heartbeat_ms = heartbeat_ms;
  w.shutdown_grace_s = 1.0;
  auto worker = RolloutWorker::Start(std::move(engine), w);
  EXPECT_TRUE(worker.ok()) << worker.status();
  return std::move(worker).value();
}

std::vector<GenerationRequest> Requests(int n, int64_t budget) {
  std::vector<GenerationRequest> v;
  for (int i = 0; i < n; ++i) {
    GenerationRequest r;
    r.request_id = "req-" + std::to_string(i);
    r.group_index = i / 2;
    r.prompt = {i + 1, 7};
    r.max_new_tokens = budget;
    r.sampling.temperature = 1.0f;
    r.seed = 1000 + i;
    v.push_back(r);
  }
  return v;
}

// What one local scheduler produces for the same requests (per-request seeds make the batch
// composition irrelevant).
std::map<std::string, GenerationResult> Reference(const std::vector<GenerationRequest>& reqs,
                                                  float w = 0.0f) {
  ToyBackend toy(32, 5);
  if (w != 0.0f) {
    WeightUpdate u = ToyBackend::Weights(1, w);
    EXPECT_TRUE(toy.Apply(u).ok());
  }
  SchedulerOptions opt;
  opt.repetition.consecutive = 0;
  Scheduler s(&toy, opt);
  for (const auto& r : reqs) EXPECT_TRUE(s.Enqueue(r).ok());
  std::vector<GenerationResult> out;
  while (s.HasWork()) EXPECT_TRUE(s.Step(&out).ok());
  std::map<std::string, GenerationResult> m;
  for (auto& r : out) m[r.request_id] = std::move(r);
  return m;
}

TEST(WorkerTest, HealthStatusAndGenerateThroughTheClient) {
  auto a = StartToyWorker(true), b = StartToyWorker(true);
  auto ch = grpc::CreateChannel(a->address(), grpc::InsecureChannelCredentials());
  auto health = CheckHealth(ch, "", 10);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, HealthStatus::kServing);
  EXPECT_EQ(*CheckHealth(ch, "rl.proto.Rollout", 10), HealthStatus::kServing);

  auto client = RolloutClient::Connect({a->address(), b->address()});
  ASSERT_TRUE(client.ok()) << client.status();
  const auto reqs = Requests(9, 12);
  std::atomic<int> streamed{0};
  auto got = (*client)->Generate(reqs, [&](const WorkerSample&) { ++streamed; });
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), reqs.size());
  EXPECT_EQ(streamed.load(), 9);
  const auto ref = Reference(reqs);
  std::set<int> workers;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const GenerationResult& r = (*got)[i].result;
    EXPECT_EQ(r.request_id, reqs[i].request_id);
    EXPECT_EQ(r.group_index, reqs[i].group_index);
    EXPECT_EQ(r.tokens, ref.at(r.request_id).tokens);
    EXPECT_EQ(r.logprobs, ref.at(r.request_id).logprobs);
    EXPECT_EQ(r.finish_reason, ref.at(r.request_id).finish_reason);
    EXPECT_EQ(r.policy_version, 0);
    workers.insert((*got)[i].worker);
  }
  EXPECT_EQ(workers.size(), 2u);  // both workers were used

  auto st = (*client)->GetStatus(0);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->has_model());
  EXPECT_EQ(st->samples_finished(), 5);  // round robin: 5 of 9 on worker 0
  EXPECT_EQ(st->listen(), a->address());
}

TEST(WorkerTest, WeightsPushedToAModelLessWorkerThenGeneration) {
  auto w = StartToyWorker(false);
  auto client = RolloutClient::Connect({w->address()});
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE((*client)->GetStatus(0)->has_model());
  WeightUpdate u = ToyBackend::Weights(3, 0.5f);
  auto sync = (*client)->PushWeights(3, "{\"toy\": true}", u.params);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ(sync->bytes_per_worker, 8);  // two fp32 scalars
  ASSERT_EQ(sync->replies.size(), 1u);
  EXPECT_EQ(sync->replies[0].version(), 3);
  EXPECT_EQ(sync->replies[0].tensors(), 2);
  auto st = (*client)->GetStatus(0);
  EXPECT_EQ(st->policy_version(), 3);
  EXPECT_EQ(st->weight_updates(), 1);

  const auto reqs = Requests(3, 6);
  auto got = (*client)->Generate(reqs);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto ref = Reference(reqs, 0.5f);
  for (const auto& s : *got) {
    EXPECT_EQ(s.result.policy_version, 3);
    EXPECT_EQ(s.result.tokens, ref.at(s.result.request_id).tokens);
  }
}

TEST(WorkerTest, SilentStreamGetsHeartbeatsAndCancelWorks) {
  auto w = StartToyWorker(false, /*heartbeat_ms=*/50);
  auto stub = proto::Rollout::NewStub(
      grpc::CreateChannel(w->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Generate(&ctx);
  proto::GenerateMessage m;
  *m.mutable_request() = ToProto(Requests(1, 5)[0]);
  ASSERT_TRUE(stream->Write(m));
  // No model: the request waits, and the stream carries heartbeats meanwhile.
  proto::GenerateEvent e;
  int heartbeats = 0;
  while (heartbeats < 2 && stream->Read(&e)) {
    ASSERT_TRUE(e.has_heartbeat());
    EXPECT_EQ(e.heartbeat().queued_requests(), 1);
    EXPECT_EQ(e.heartbeat().policy_version(), -1);
    ++heartbeats;
  }
  EXPECT_EQ(heartbeats, 2);
  proto::GenerateMessage c;
  c.mutable_cancel()->set_request_id("req-0");
  ASSERT_TRUE(stream->Write(c));
  stream->WritesDone();
  bool sample = false;
  while (stream->Read(&e)) {
    if (!e.has_sample()) continue;
    sample = true;
    EXPECT_EQ(e.sample().request_id(), "req-0");
    EXPECT_EQ(e.sample().finish_reason(), proto::FINISH_REASON_ABORTED);
  }
  EXPECT_TRUE(sample);
  EXPECT_TRUE(stream->Finish().ok());  // all answered after half-close: OK
}

TEST(WorkerTest, ClientFailsOverWhenAWorkerShutsDownMidGeneration) {
  auto stuck = StartToyWorker(false);  // never gets weights: its requests wait
  auto good = StartToyWorker(true);
  auto client = RolloutClient::Connect({stuck->address(), good->address()});
  ASSERT_TRUE(client.ok()) << client.status();
  const auto reqs = Requests(6, 8);
  std::atomic<int> arrived{0};
  std::thread killer([&] {
    while (arrived.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stuck->Shutdown();
  });
  auto got = (*client)->Generate(reqs, [&](const WorkerSample&) { ++arrived; });
  killer.join();
  ASSERT_TRUE(got.ok()) << got.status();
  const auto ref = Reference(reqs);
  std::set<std::string> ids;
  for (const auto& s : *got) {
    EXPECT_EQ(s.worker, 1);
    EXPECT_NE(s.result.finish_reason, FinishReason::kAborted);
    EXPECT_EQ(s.result.tokens, ref.at(s.result.request_id).tokens);
    ids.insert(s.result.request_id);
  }
  EXPECT_EQ(ids.size(), 6u);  // each exactly once
}

TEST(WorkerTest, CorruptWeightStreamIsRefusedWithDataLoss) {
  auto w = StartToyWorker(true);
  auto stub = proto::Rollout::NewStub(
      grpc::CreateChannel(w->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  proto::UpdateWeightsReply reply;
  auto writer = stub->UpdateWeights(&ctx, &reply);
  proto::WeightChunk c;
  c.set_version(9);
  c.set_num_tensors(1);
  c.set_tensor_name("toy.w");
  c.add_shape(1);
  c.set_data(std::string(4, '\0'));
  c.set_last(true);
  c.set_checksum(12345);  // wrong
  writer->Write(c);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_NE(s.error_message().find("checksum"), std::string::npos);
  EXPECT_EQ(w->engine().Stats().policy_version, 0);
}

}  // namespace
}  // namespace rl::rollout
