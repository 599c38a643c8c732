#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "rl/driver/driver_internal.h"

namespace rl::driver::internal {
namespace fs = std::filesystem;

// Held-out accuracy: one greedy sample per eval task at the current budget.
Status Driver::Evaluate(int64_t step, const std::string& prefix) {
  if (eval_tasks_.empty()) return absl::OkStatus();
  if (prefix == "eval") last_eval_step_ = step;
  std::vector<rollout::GenerationRequest> reqs;
  for (size_t i = 0; i < eval_tasks_.size(); ++i) {
    rollout::GenerationRequest q;
    q.request_id = "eval" + std::to_string(step) + "-" + std::to_string(i);
    q.group_index = static_cast<int64_t>(i);
    q.prompt = tok_->Encode(tasks::ApplyChatTemplate(eval_tasks_[i].prompt));
    q.max_new_tokens = curriculum_->budget();
    q.sampling.temperature = 0;
    q.sampling.vocab_limit = tok_->vocab_size();
    q.stop_tokens = stop_tokens_;
    q.min_policy_version = version_;
    reqs.push_back(std::move(q));
  }
  RL_ASSIGN_OR_RETURN(auto got, Generate(reqs, step));
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < reqs.size(); ++k) index[reqs[k].request_id] = k;
  std::vector<std::string> texts(reqs.size());
  std::vector<int64_t> lens(reqs.size(), 0);
  for (const auto& ws : got) {
    size_t k = index.at(ws.result.request_id);
    texts[k] = Response(ws.result.tokens);
    lens[k] = static_cast<int64_t>(ws.result.tokens.size());
  }
  std::vector<rewards::VerifyInput> inputs(reqs.size());
  for (size_t k = 0; k < reqs.size(); ++k) {
    inputs[k].task = &eval_tasks_[k];
    inputs[k].response = texts[k];
    inputs[k].response_tokens = lens[k];
    inputs[k].budget_tokens = curriculum_->budget();
  }
  auto vr = rewards_.pool->VerifyBatch(inputs);
  double ok = 0, len = 0;
  for (size_t k = 0; k < vr.size(); ++k) {
    ok += vr[k].correct.value_or(false) ? 1 : 0;
    len += static_cast<double>(lens[k]);
  }
  const double n = static_cast<double>(vr.size());
  if (length_bias_ && prefix == "eval") length_bias_->OnHeldOut(step, ok / n);
  ctx_.store->LogMetrics(ctx_.run_id, step,
                         {{prefix + "/accuracy", ok / n}, {prefix + "/mean_length", len / n}});
  if (options_.progress) {
    std::fprintf(stderr, "%s step %lld | held-out accuracy %.3f (%d tasks) | mean length %.1f\n",
                 prefix.c_str(), static_cast<long long>(step), ok / n, static_cast<int>(n),
                 len / n);
  }
  return absl::OkStatus();
}

Status Driver::SaveCheckpoint(int64_t step) {
  const fs::path dir = fs::path(ctx_.dir) / "checkpoints" / ("step_" + std::to_string(step));
  RL_RETURN_IF_ERROR(learner_->Save(dir.string()));
  nlohmann::json st = {{"step", step},
                       {"cursors", cursors_before_prefetch_.value_or(cursors_)},
                       {"sequences_consumed", sequences_consumed_},
                       {"curriculum", curriculum_->SaveState()},
                       {"length_bias", length_bias_ ? length_bias_->SaveState() : std::string()},
                       {"weights_version", version_}};
  {
    std::ofstream f(dir / "driver_state.json.tmp");
    f << st.dump(2) << "\n";
    if (!f) return absl::UnavailableError((dir / "driver_state.json").string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(dir / "driver_state.json.tmp", dir / "driver_state.json", ec);
  if (ec) return absl::UnavailableError((dir / "driver_state.json").string() + ": " + ec.message());
  store::CheckpointRow row;
  row.run_id = ctx_.run_id;
  row.step = step;
  row.path = dir.string();
  row.metadata =
      nlohmann::json{{"stage", curriculum_->stage()}, {"sequences_consumed", sequences_consumed_}}
          .dump();
  row.wall_time = store::WallTime();
  ctx_.store->AddCheckpoint(std::move(row));
  RL_RETURN_IF_ERROR(ctx_.store->Flush());
  // Retention: keep the newest checkpoint.keep step_N directories.
  if (cfg_.checkpoint.keep > 0) {
    std::vector<std::pair<int64_t, fs::path>> all;
    for (const auto& e : fs::directory_iterator(fs::path(ctx_.dir) / "checkpoints", ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("step_", 0) != 0) continue;
      char* end = nullptr;
      long long n = std::strtoll(name.c_str() + 5, &end, 10);
      if (end && *end == '\0') all.emplace_back(n, e.path());
    }
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i + static_cast<size_t>(cfg_.checkpoint.keep) < all.size(); ++i) {
      fs::remove_all(all[i].second, ec);
    }
  }
  return absl::OkStatus();
}

}  // namespace rl::driver::internal
