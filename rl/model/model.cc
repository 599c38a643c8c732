// Model construction (parameter pointers, decay slopes), DecodeState and Workspace.
#include <algorithm>
#include <string>
#include <thread>

#include "rl/core/logging.h"
#include "rl/kernels/parallel.h"
#include "rl/kernels/decay.h"
#include "rl/kernels/lightning_attention.h"
#include "rl/kernels/matmul.h"
#include "rl/kernels/moe.h"
#include "rl/model/forward_internal.h"

namespace rl::model {

Model::~Model() = default;

StatusOr<std::unique_ptr<Model>> Model::Create(ModelConfig config, ParamMap params,
                                               int num_threads) {
  RL_RETURN_IF_ERROR(config.Validate());
  RL_RETURN_IF_ERROR(CheckParams(config, params));
  std::unique_ptr<Model> m(new Model());
  m->config_ = std::move(config);
  m->params_ = std::move(params);
  const ModelConfig& c = m->config_;
  auto ptr = [&](const std::string& name) -> const float* { return m->params_.at(name).data.data(); };
  m->embed_ = ptr("model.embed_tokens.weight");
  m->final_norm_ = ptr("model.norm.weight");
  m->lm_head_ = c.tie_word_embeddings ? m->embed_ : ptr("lm_head.weight");
  int64_t n_lightning = 0, n_softmax = 0;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    auto w = std::make_unique<LayerWeights>();
    w->type = c.layer_types[l];
    w->input_norm = ptr(p + "input_layernorm.weight");
    w->post_norm = ptr(p + "post_attention_layernorm.weight");
    std::vector<double> slopes;
    if (w->type == LayerType::kLightning) {
      w->qkv = ptr(p + "self_attn.qkv_proj.weight");
      w->gate = ptr(p + "self_attn.output_gate.weight");
      w->out = ptr(p + "self_attn.out_proj.weight");
      w->norm = ptr(p + "self_attn.norm.weight");
      w->attn_alpha = static_cast<float>(c.lightning_alpha);
      w->attn_beta = static_cast<float>(c.lightning_beta);
      for (int64_t h = 0; h < c.num_heads; ++h) {
        slopes.push_back(kernels::LightningSlope(h, c.num_heads, l, c.num_layers,
                                                 c.dialect == "transformers"));
      }
      m->type_index_.push_back(n_lightning++);
    } else {
      w->wq = ptr(p + "self_attn.q_proj.weight");
      w->wk = ptr(p + "self_attn.k_proj.weight");
      w->wv = ptr(p + "self_attn.v_proj.weight");
      w->wo = ptr(p + "self_attn.o_proj.weight");
      w->attn_alpha = static_cast<float>(c.softmax_alpha);
      w->attn_beta = static_cast<float>(c.softmax_beta);
      m->type_index_.push_back(n_softmax++);
    }
    w->router = ptr(p + "block_sparse_moe.gate.weight");
    for (int64_t e = 0; e < c.num_experts; ++e) {
      const std::string q = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
      w->w1.push_back(ptr(q + "w1.weight"));
      w->w3.push_back(ptr(q + "w3.weight"));
      w->w2.push_back(ptr(q + "w2.weight"));
    }
    m->slopes_.push_back(std::move(slopes));
    m->layers_.push_back(std::move(w));
  }
  if (num_threads <= 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  m->pool_ = std::make_unique<kernels::ParallelTeam>(num_threads);
  kernels::SetBlasSingleThreaded();
  static const bool warned = [] {
    const std::string w = kernels::BlasCoreWarning();
    if (!w.empty()) RL_LOG(Warning) << w;
    return true;
  }();
  (void)warned;
  return m;
}

DecodeState::DecodeState(const ModelConfig& c, int64_t max_tokens)
    : H_(c.num_heads), D_(c.head_dim), KVH_(c.num_kv_heads), capacity_(max_tokens) {
  for (LayerType t : c.layer_types) (t == LayerType::kLightning ? num_lightning_ : num_softmax_)++;
  lightning_.assign(static_cast<size_t>(num_lightning_ * H_ * D_ * D_), 0.0f);
  const size_t cache = static_cast<size_t>(num_softmax_ * capacity_ * KVH_ * D_);
  k_.assign(cache, 0.0f);
  v_.assign(cache, 0.0f);
  scores_.assign(static_cast<size_t>(std::max<int64_t>(capacity_, 1) * H_), 0.0f);
}

void DecodeState::Reset() {
  std::fill(lightning_.begin(), lightning_.end(), 0.0f);
  position_ = 0;
}

void DecodeState::CopyFrom(const DecodeState& other) {
  RL_CHECK(other.H_ == H_ && other.D_ == D_ && other.KVH_ == KVH_ &&
           other.num_lightning_ == num_lightning_ && other.num_softmax_ == num_softmax_)
      << "DecodeState::CopyFrom across different configs";
  RL_CHECK(other.position_ <= capacity_) << "DecodeState::CopyFrom: capacity " << capacity_
                                         << " < position " << other.position_;
  lightning_ = other.lightning_;
  const int64_t row = KVH_ * D_;
  for (int64_t s = 0; s < num_softmax_; ++s) {
    std::copy_n(other.k_.data() + s * other.capacity_ * row, other.position_ * row,
                k_.data() + s * capacity_ * row);
    std::copy_n(other.v_.data() + s * other.capacity_ * row, other.position_ * row,
                v_.data() + s * capacity_ * row);
  }
  position_ = other.position_;
}

float* DecodeState::lightning_kv(int64_t i) { return lightning_.data() + i * H_ * D_ * D_; }
float* DecodeState::k_cache(int64_t i) { return k_.data() + i * capacity_ * KVH_ * D_; }
float* DecodeState::v_cache(int64_t i) { return v_.data() + i * capacity_ * KVH_ * D_; }

void Workspace::Buffers::Reserve(const ModelConfig& c, int64_t T) {
  if (T <= tokens) return;
  tokens = T;
  const int64_t C = c.hidden_size, H = c.num_heads, D = c.head_dim, KVH = c.num_kv_heads;
  const int64_t k = c.experts_per_token;
  auto sz = [](int64_t n) { return static_cast<size_t>(n); };
  x.resize(sz(T * C));
  h.resize(sz(T * C));
  y.resize(sz(T * C));
  proj.resize(sz(T * std::max(3 * H * D, (H + 2 * KVH) * D)));
  gate.resize(sz(T * H * D));
  o.resize(sz(T * H * D));
  router.resize(sz(T * c.num_experts));
  moe_w.resize(sz(T * k));
  moe_idx.resize(sz(T * k));
  moe_rows.resize(sz(T * k));
  moe_scratch.resize(sz(kernels::MoeScratch(T, k, C, c.intermediate_size)));
  positions.resize(sz(T));
  offsets.resize(sz(T + 1));
  fresh_state.resize(sz(H * D * D));
}

Workspace::Workspace(const ModelConfig& config, int64_t max_tokens)
    : buffers_(std::make_unique<Buffers>()), config_(config) {
  buffers_->Reserve(config_, max_tokens);
}
Workspace::~Workspace() = default;
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;
void Workspace::Reserve(int64_t max_tokens) { buffers_->Reserve(config_, max_tokens); }
int64_t Workspace::max_tokens() const { return buffers_->tokens; }

}  // namespace rl::model
