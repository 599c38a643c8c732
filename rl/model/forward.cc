// Public entry points of the forward (forward.h): validation, chunking, the LM head.
#include <algorithm>
#include <string>

#include "rl/core/thread_pool.h"
#include "rl/kernels/log_softmax.h"
#include "rl/kernels/matmul.h"
#include "rl/model/forward_internal.h"

namespace rl::model {
namespace {

// Rows of the LM head computed at once when scoring (bounds the (rows, V) logits buffer).
constexpr int64_t kLmHeadRows = 64;
// Prefill into states runs in rounds of at most ~kRoundTokens tokens (each sequence
// contributing a piece of kPieceMin..kPieceMax tokens, continuing from its state), so the
// workspace stays bounded however long or many the prompts are.
constexpr int64_t kRoundTokens = 8192, kPieceMin = 256, kPieceMax = 4096;

Status ValidateBatch(const ModelConfig& c, const PackedTokens& b) {
  if (b.offsets.empty() || b.offsets.front() != 0 ||
      b.offsets.back() != static_cast<int64_t>(b.tokens.size())) {
    return absl::InvalidArgumentError("packed batch: offsets must start at 0 and end at " +
                                      std::to_string(b.tokens.size()) + " (the token count)");
  }
  for (size_t i = 0; i + 1 < b.offsets.size(); ++i) {
    if (b.offsets[i + 1] < b.offsets[i]) {
      return absl::InvalidArgumentError("packed batch: offsets decrease at sequence " +
                                        std::to_string(i));
    }
  }
  for (size_t t = 0; t < b.tokens.size(); ++t) {
    if (b.tokens[t] < 0 || b.tokens[t] >= c.vocab_size) {
      return absl::InvalidArgumentError("token " + std::to_string(b.tokens[t]) + " at position " +
                                        std::to_string(t) + " is outside the vocabulary [0, " +
                                        std::to_string(c.vocab_size) + ")");
    }
  }
  return absl::OkStatus();
}

Status ValidateStates(const PackedTokens& b, std::span<DecodeState* const> states) {
  if (states.size() + 1 != b.offsets.size()) {
    return absl::InvalidArgumentError("got " + std::to_string(states.size()) + " decode states for " +
                                      std::to_string(b.offsets.size() - 1) + " sequences");
  }
  for (size_t i = 0; i < states.size(); ++i) {
    if (states[i] == nullptr) return absl::InvalidArgumentError("decode state " + std::to_string(i) + " is null");
    const int64_t n = b.offsets[i + 1] - b.offsets[i];
    if (states[i]->position() + n > states[i]->capacity()) {
      return absl::OutOfRangeError("sequence " + std::to_string(i) + ": " +
                                   std::to_string(states[i]->position() + n) +
                                   " tokens exceed the decode state capacity " +
                                   std::to_string(states[i]->capacity()));
    }
    for (size_t j = 0; j < i; ++j) {
      if (states[j] == states[i]) {
        return absl::InvalidArgumentError("decode state " + std::to_string(i) + " repeats state " +
                                          std::to_string(j));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

void LmHead(const Model& model, const float* hidden, int64_t rows, float* logits) {
  const ModelConfig& c = model.config();
  kernels::Linear(hidden, model.lm_head(), rows, c.hidden_size, c.vocab_size, logits, false,
                  model.pool());
}

Status ForwardPacked(const Model& model, const PackedTokens& batch, ForwardActivations* acts) {
  EnableFlushToZero();
  RL_RETURN_IF_ERROR(ValidateBatch(model.config(), batch));
  Workspace ws(model.config(), static_cast<int64_t>(batch.tokens.size()));
  RunStack(model, batch, {}, ws.buffers(), acts);
  return absl::OkStatus();
}

Status PackedTokenLogProbs(const Model& model, const PackedTokens& batch,
                           std::span<const int32_t> targets, float temperature,
                           std::span<float> out) {
  EnableFlushToZero();
  const ModelConfig& c = model.config();
  RL_RETURN_IF_ERROR(ValidateBatch(c, batch));
  const int64_t T = static_cast<int64_t>(batch.tokens.size()), V = c.vocab_size;
  if (targets.size() != batch.tokens.size() || out.size() != batch.tokens.size()) {
    return absl::InvalidArgumentError("targets and out must have one entry per token (" +
                                      std::to_string(T) + ")");
  }
  if (!(temperature > 0.0f)) return absl::InvalidArgumentError("temperature must be > 0");
  for (int64_t t = 0; t < T; ++t) {
    if (targets[t] >= V) {
      return absl::InvalidArgumentError("target " + std::to_string(targets[t]) + " at position " +
                                        std::to_string(t) + " is outside the vocabulary");
    }
  }
  Workspace ws(c, T);
  RunStack(model, batch, {}, ws.buffers(), nullptr);
  const float* hidden = ws.buffers().h.data();
  std::vector<float> logits(static_cast<size_t>(std::min(kLmHeadRows, std::max<int64_t>(T, 1)) * V));
  for (int64_t r0 = 0; r0 < T; r0 += kLmHeadRows) {
    const int64_t m = std::min(kLmHeadRows, T - r0);
    LmHead(model, hidden + r0 * c.hidden_size, m, logits.data());
    for (int64_t r = 0; r < m; ++r) {
      const int32_t tok = targets[r0 + r];
      out[r0 + r] = tok < 0 ? 0.0f : kernels::TokenLogProb(logits.data() + r * V, V, temperature, tok);
    }
  }
  return absl::OkStatus();
}

Status PackedLogits(const Model& model, const PackedTokens& batch, std::vector<float>* logits) {
  EnableFlushToZero();
  const ModelConfig& c = model.config();
  RL_RETURN_IF_ERROR(ValidateBatch(c, batch));
  const int64_t T = static_cast<int64_t>(batch.tokens.size());
  Workspace ws(c, T);
  RunStack(model, batch, {}, ws.buffers(), nullptr);
  logits->resize(static_cast<size_t>(T * c.vocab_size));
  LmHead(model, ws.buffers().h.data(), T, logits->data());
  return absl::OkStatus();
}

Status PrefillBatch(const Model& model, const PackedTokens& batch,
                    std::span<DecodeState* const> states, Workspace* ws,
                    std::span<float> last_logits) {
  EnableFlushToZero();
  const ModelConfig& c = model.config();
  RL_RETURN_IF_ERROR(ValidateBatch(c, batch));
  RL_RETURN_IF_ERROR(ValidateStates(batch, states));
  const int64_t N = static_cast<int64_t>(states.size()), V = c.vocab_size, C = c.hidden_size;
  if (!last_logits.empty() && static_cast<int64_t>(last_logits.size()) != N * V) {
    return absl::InvalidArgumentError("last_logits must hold N·V = " + std::to_string(N * V) +
                                      " values");
  }
  // Rounds of one piece per sequence, each continuing from the states.
  int64_t longest = 0;
  for (int64_t i = 0; i < N; ++i) longest = std::max(longest, batch.offsets[i + 1] - batch.offsets[i]);
  std::vector<int32_t> tokens;
  std::vector<int64_t> offsets;
  std::vector<DecodeState*> round_states;
  std::vector<int64_t> round_seq;
  const int64_t piece =
      std::clamp(kRoundTokens / std::max<int64_t>(N, 1) / kPieceMin * kPieceMin, kPieceMin, kPieceMax);
  for (int64_t start = 0; start < longest; start += piece) {
    tokens.clear();
    offsets.assign(1, 0);
    round_states.clear();
    round_seq.clear();
    for (int64_t i = 0; i < N; ++i) {
      const int64_t len = batch.offsets[i + 1] - batch.offsets[i];
      if (start >= len) continue;
      const int64_t end = std::min(len, start + piece);
      tokens.insert(tokens.end(), batch.tokens.begin() + batch.offsets[i] + start,
                    batch.tokens.begin() + batch.offsets[i] + end);
      offsets.push_back(static_cast<int64_t>(tokens.size()));
      round_states.push_back(states[i]);
      round_seq.push_back(i);
    }
    ws->Reserve(static_cast<int64_t>(tokens.size()));
    RunStack(model, PackedTokens{tokens, offsets}, round_states, ws->buffers(), nullptr);
    if (last_logits.empty()) continue;
    for (size_t r = 0; r < round_seq.size(); ++r) {
      const int64_t i = round_seq[r];
      if (start + piece < batch.offsets[i + 1] - batch.offsets[i]) continue;  // not last
      LmHead(model, ws->buffers().h.data() + (offsets[r + 1] - 1) * C, 1,
             last_logits.data() + i * V);
    }
  }
  return absl::OkStatus();
}

Status Prefill(const Model& model, std::span<const int32_t> tokens, DecodeState* state,
               std::span<float> last_logits) {
  const int64_t offsets[2] = {0, static_cast<int64_t>(tokens.size())};
  DecodeState* states[1] = {state};
  Workspace ws(model.config());
  return PrefillBatch(model, PackedTokens{tokens, offsets}, states, &ws, last_logits);
}

Status DecodeStep(const Model& model, std::span<DecodeState* const> states,
                  std::span<const int32_t> tokens, Workspace* ws, std::span<float> logits) {
  EnableFlushToZero();
  const ModelConfig& c = model.config();
  const int64_t B = static_cast<int64_t>(states.size());
  if (static_cast<int64_t>(tokens.size()) != B) {
    return absl::InvalidArgumentError("decode step: " + std::to_string(tokens.size()) +
                                      " tokens for " + std::to_string(B) + " states");
  }
  if (static_cast<int64_t>(logits.size()) != B * c.vocab_size) {
    return absl::InvalidArgumentError("decode step: logits must hold B·V = " +
                                      std::to_string(B * c.vocab_size) + " values");
  }
  if (ws->max_tokens() < B) {
    return absl::FailedPreconditionError("decode step: workspace sized for " +
                                         std::to_string(ws->max_tokens()) + " sequences, got " +
                                         std::to_string(B));
  }
  auto& buf = ws->buffers();
  for (int64_t i = 0; i <= B; ++i) buf.offsets[i] = i;
  const PackedTokens batch{tokens, std::span<const int64_t>(buf.offsets.data(), B + 1)};
  RL_RETURN_IF_ERROR(ValidateBatch(c, batch));
  RL_RETURN_IF_ERROR(ValidateStates(batch, states));
  RunStack(model, batch, states, buf, nullptr);
  LmHead(model, buf.h.data(), B, logits.data());
  return absl::OkStatus();
}

}  // namespace rl::model
