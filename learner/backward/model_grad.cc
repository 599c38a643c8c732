#include "learner/backward/model_grad.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "learner/backward/attention.h"
#include "learner/backward/basic_ops.h"
#include "learner/backward/moe.h"
#include "learner/policy_loss.h"
#include "rl/core/logging.h"
#include "rl/kernels/decay.h"

namespace rl::learner {

using model::LayerType;
using model::ModelConfig;

template <typename T>
struct LayerCache {
  std::vector<T> h1, rstd1, x1, h2, rstd2;
  std::vector<T> qkv_pre, qkv, o, rstd_o, on, g_pre;  // lightning
  std::vector<T> q, k, v, so, lse;                    // softmax
  MoeCache<T> moe;
  int64_t Bytes() const {
    int64_t n = 0;
    for (const auto* vec : {&h1, &rstd1, &x1, &h2, &rstd2, &qkv_pre, &qkv, &o, &rstd_o, &on, &g_pre,
                            &q, &k, &v, &so, &lse}) {
      n += static_cast<int64_t>(vec->capacity());
    }
    for (const auto& m : {&moe.a, &moe.b, &moe.out}) {
      for (const auto& x : *m) n += static_cast<int64_t>(x.capacity());
    }
    n += static_cast<int64_t>(moe.probs.capacity() + moe.weights.capacity());
    return n * static_cast<int64_t>(sizeof(T));
  }
};

template <typename T>
Activations<T>::Activations() = default;
template <typename T>
Activations<T>::~Activations() = default;
template <typename T>
Activations<T>::Activations(Activations&&) noexcept = default;
template <typename T>
Activations<T>& Activations<T>::operator=(Activations&&) noexcept = default;
template <typename T>
int64_t Activations<T>::Bytes() const {
  int64_t n = static_cast<int64_t>(layer_inputs.capacity() + final_hidden.capacity() +
                                   final_rstd.capacity()) *
              static_cast<int64_t>(sizeof(T));
  for (const auto& l : layers) {
    if (l) n += l->Bytes();
  }
  return n;
}

WeightView<float> ViewOf(const model::ParamMap& params) {
  WeightView<float> v;
  for (const auto& [name, t] : params) v[name] = t.data.data();
  return v;
}

template <typename T>
WeightView<T> ViewOf(const Tensors<T>& tensors) {
  WeightView<T> v;
  for (const auto& [name, t] : tensors) v[name] = t.data();
  return v;
}

template <typename T>
Tensors<T> ZeroTensors(const ModelConfig& config) {
  Tensors<T> out;
  for (const auto& [name, shape] : model::ExpectedParamShapes(config)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    out[name].assign(static_cast<size_t>(n), T(0));
  }
  return out;
}

std::vector<double> LightningSlopes(const ModelConfig& c, int64_t layer) {
  std::vector<double> s(c.num_heads);
  for (int64_t h = 0; h < c.num_heads; ++h) {
    s[h] =
        kernels::LightningSlope(h, c.num_heads, layer, c.num_layers, c.dialect == "transformers");
  }
  return s;
}

namespace {

template <typename T>
const T* Get(const WeightView<T>& w, const std::string& name) {
  auto it = w.find(name);
  RL_CHECK(it != w.end()) << "missing weight " << name;
  return it->second;
}

template <typename T>
T* GetGrad(Tensors<T>* g, const std::string& name) {
  auto it = g->find(name);
  RL_CHECK(it != g->end()) << "missing gradient " << name;
  return it->second.data();
}

// Adds the elapsed time of its scope to the layer type's counter in opts.times.
class LayerTimer {
 public:
  LayerTimer(const GradOptions& opts, LayerType type)
      : slot_(opts.times == nullptr           ? nullptr
              : type == LayerType::kLightning ? &opts.times->lightning
                                              : &opts.times->softmax),
        t0_(std::chrono::steady_clock::now()) {}
  ~LayerTimer() {
    if (slot_)
      *slot_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  double* slot_;
  std::chrono::steady_clock::time_point t0_;
};

std::string Prefix(int64_t l) { return "model.layers." + std::to_string(l) + "."; }

MoeShape MoeShapeOf(const ModelConfig& c, int64_t N) {
  return MoeShape{N, c.hidden_size, c.intermediate_size, c.num_experts, c.experts_per_token};
}

template <typename T>
MoeWeights<T> MoeWeightsOf(const ModelConfig& c, const WeightView<T>& w, const std::string& p) {
  MoeWeights<T> m;
  m.gate = Get(w, p + "block_sparse_moe.gate.weight");
  for (int64_t e = 0; e < c.num_experts; ++e) {
    const std::string q = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
    m.w1.push_back(Get(w, q + "w1.weight"));
    m.w3.push_back(Get(w, q + "w3.weight"));
    m.w2.push_back(Get(w, q + "w2.weight"));
  }
  return m;
}

template <typename T>
MoeGrads<T> MoeGradsOf(const ModelConfig& c, Tensors<T>* g, const std::string& p) {
  MoeGrads<T> m;
  m.gate = GetGrad(g, p + "block_sparse_moe.gate.weight");
  for (int64_t e = 0; e < c.num_experts; ++e) {
    const std::string q = p + "block_sparse_moe.experts." + std::to_string(e) + ".";
    m.w1.push_back(GetGrad(g, q + "w1.weight"));
    m.w3.push_back(GetGrad(g, q + "w3.weight"));
    m.w2.push_back(GetGrad(g, q + "w2.weight"));
  }
  return m;
}

void AttnScales(const ModelConfig& c, int64_t l, double* alpha, double* beta) {
  const bool lin = c.layer_types[l] == LayerType::kLightning;
  *alpha = lin ? c.lightning_alpha : c.softmax_alpha;
  *beta = lin ? c.lightning_beta : c.softmax_beta;
}

// One decoder layer: x (N, C) → y (N, C) OVERWRITTEN; cache filled. Returns the unscaled aux loss.
template <typename T>
double LayerForward(const ModelConfig& c, int64_t l, const WeightView<T>& w, const T* x,
                    std::span<const int64_t> offsets, const GradOptions& opts, LayerCache<T>* lc,
                    T* y) {
  const int64_t N = offsets.back(), C = c.hidden_size, H = c.num_heads, D = c.head_dim;
  const int64_t HD = H * D;
  const std::string p = Prefix(l);
  lc->h1.resize(N * C);
  lc->rstd1.resize(N);
  RmsNormForward<T>(x, Get(w, p + "input_layernorm.weight"), N, C, c.rms_norm_eps, lc->h1.data(),
                    lc->rstd1.data());
  std::vector<T> attn(N * C);
  if (c.layer_types[l] == LayerType::kLightning) {
    lc->qkv_pre.resize(N * 3 * HD);
    lc->qkv.resize(N * 3 * HD);
    LinearForward<T>(lc->h1.data(), Get(w, p + "self_attn.qkv_proj.weight"), N, C, 3 * HD,
                     lc->qkv_pre.data());
    SiluForward<T>(lc->qkv_pre.data(), N * 3 * HD, lc->qkv.data());
    lc->o.resize(N * HD);
    const std::vector<double> slopes = LightningSlopes(c, l);
    LightningForward<T>(lc->qkv.data(), offsets, H, D, slopes, opts.lightning_block, lc->o.data(),
                        opts.pool);
    lc->on.resize(N * HD);
    lc->rstd_o.resize(N);
    RmsNormForward<T>(lc->o.data(), Get(w, p + "self_attn.norm.weight"), N, HD,
                      c.lightning_norm_eps, lc->on.data(), lc->rstd_o.data());
    lc->g_pre.resize(N * HD);
    LinearForward<T>(lc->h1.data(), Get(w, p + "self_attn.output_gate.weight"), N, C, HD,
                     lc->g_pre.data());
    std::vector<T> og(N * HD);
    SigmoidGateForward<T>(lc->g_pre.data(), lc->on.data(), N * HD, og.data());
    LinearForward<T>(og.data(), Get(w, p + "self_attn.out_proj.weight"), N, HD, C, attn.data());
  } else {
    const int64_t KD = c.num_kv_heads * D;
    lc->q.resize(N * HD);
    lc->k.resize(N * KD);
    lc->v.resize(N * KD);
    LinearForward<T>(lc->h1.data(), Get(w, p + "self_attn.q_proj.weight"), N, C, HD, lc->q.data());
    LinearForward<T>(lc->h1.data(), Get(w, p + "self_attn.k_proj.weight"), N, C, KD, lc->k.data());
    LinearForward<T>(lc->h1.data(), Get(w, p + "self_attn.v_proj.weight"), N, C, KD, lc->v.data());
    ApplyRope<T>(lc->q.data(), offsets, H, D, c.rotary_dim, c.rope_theta, false);
    ApplyRope<T>(lc->k.data(), offsets, c.num_kv_heads, D, c.rotary_dim, c.rope_theta, false);
    lc->so.resize(N * HD);
    lc->lse.resize(H * N);
    SoftmaxAttentionForward<T>(lc->q.data(), lc->k.data(), lc->v.data(), offsets, H, c.num_kv_heads,
                               D, lc->so.data(), lc->lse.data(), opts.pool);
    LinearForward<T>(lc->so.data(), Get(w, p + "self_attn.o_proj.weight"), N, HD, C, attn.data());
  }
  double alpha, beta;
  AttnScales(c, l, &alpha, &beta);
  lc->x1.resize(N * C);
  const T* r1 = c.postnorm ? lc->h1.data() : x;
  for (int64_t i = 0; i < N * C; ++i) {
    lc->x1[i] = static_cast<T>(alpha) * r1[i] + static_cast<T>(beta) * attn[i];
  }
  lc->h2.resize(N * C);
  lc->rstd2.resize(N);
  RmsNormForward<T>(lc->x1.data(), Get(w, p + "post_attention_layernorm.weight"), N, C,
                    c.rms_norm_eps, lc->h2.data(), lc->rstd2.data());
  MoeForward<T>(lc->h2.data(), MoeShapeOf(c, N), MoeWeightsOf(c, w, p), &lc->moe, attn.data());
  const T* r2 = c.postnorm ? lc->h2.data() : lc->x1.data();
  for (int64_t i = 0; i < N * C; ++i) {
    y[i] = static_cast<T>(c.mlp_alpha) * r2[i] + static_cast<T>(c.mlp_beta) * attn[i];
  }
  return lc->moe.aux;
}

// dy (N, C) → dx (N, C) OVERWRITTEN; parameter grads ACCUMULATED.
template <typename T>
void LayerBackward(const ModelConfig& c, int64_t l, const WeightView<T>& w, const T* x,
                   std::span<const int64_t> offsets, const GradOptions& opts,
                   const LayerCache<T>& lc, double aux_scale, const T* dy, T* dx, Tensors<T>* g) {
  const int64_t N = offsets.back(), C = c.hidden_size, H = c.num_heads, D = c.head_dim;
  const int64_t HD = H * D;
  const std::string p = Prefix(l);
  std::vector<T> dmoe(N * C), dh2(N * C, T(0)), dx1(N * C, T(0));
  T* dr2 = c.postnorm ? dh2.data() : dx1.data();
  ResidualBackward<T>(dy, N * C, c.mlp_alpha, c.mlp_beta, dr2, dmoe.data());
  MoeBackward<T>(dmoe.data(), lc.h2.data(), MoeShapeOf(c, N), MoeWeightsOf(c, w, p), lc.moe,
                 aux_scale, dh2.data(), MoeGradsOf(c, g, p));
  RmsNormBackward<T>(dh2.data(), lc.x1.data(), Get(w, p + "post_attention_layernorm.weight"),
                     lc.rstd2.data(), N, C, dx1.data(),
                     GetGrad(g, p + "post_attention_layernorm.weight"));
  double alpha, beta;
  AttnScales(c, l, &alpha, &beta);
  std::vector<T> dattn(N * C), dh1(N * C, T(0));
  std::fill(dx, dx + N * C, T(0));
  T* dr1 = c.postnorm ? dh1.data() : dx;
  ResidualBackward<T>(dx1.data(), N * C, alpha, beta, dr1, dattn.data());
  if (c.layer_types[l] == LayerType::kLightning) {
    std::vector<T> og(N * HD), dog(N * HD), don(N * HD), dg(N * HD);
    SigmoidGateForward<T>(lc.g_pre.data(), lc.on.data(), N * HD, og.data());
    LinearBackward<T>(dattn.data(), og.data(), Get(w, p + "self_attn.out_proj.weight"), N, HD, C,
                      dog.data(), GetGrad(g, p + "self_attn.out_proj.weight"), false);
    SigmoidGateBackward<T>(dog.data(), lc.g_pre.data(), lc.on.data(), N * HD, don.data(),
                           dg.data());
    LinearBackward<T>(dg.data(), lc.h1.data(), Get(w, p + "self_attn.output_gate.weight"), N, C, HD,
                      dh1.data(), GetGrad(g, p + "self_attn.output_gate.weight"), true);
    std::vector<T>& d_o = dog;  // reuse
    std::fill(d_o.begin(), d_o.end(), T(0));
    RmsNormBackward<T>(don.data(), lc.o.data(), Get(w, p + "self_attn.norm.weight"),
                       lc.rstd_o.data(), N, HD, d_o.data(),
                       GetGrad(g, p + "self_attn.norm.weight"));
    std::vector<T> dqkv(N * 3 * HD);
    const std::vector<double> slopes = LightningSlopes(c, l);
    LightningBackward<T>(lc.qkv.data(), d_o.data(), offsets, H, D, slopes, opts.lightning_block,
                         dqkv.data(), opts.pool);
    SiluBackward<T>(dqkv.data(), lc.qkv_pre.data(), N * 3 * HD, dqkv.data());
    LinearBackward<T>(dqkv.data(), lc.h1.data(), Get(w, p + "self_attn.qkv_proj.weight"), N, C,
                      3 * HD, dh1.data(), GetGrad(g, p + "self_attn.qkv_proj.weight"), true);
  } else {
    const int64_t KVH = c.num_kv_heads, KD = KVH * D;
    std::vector<T> dso(N * HD), dq(N * HD), dk(N * KD), dv(N * KD);
    LinearBackward<T>(dattn.data(), lc.so.data(), Get(w, p + "self_attn.o_proj.weight"), N, HD, C,
                      dso.data(), GetGrad(g, p + "self_attn.o_proj.weight"), false);
    SoftmaxAttentionBackward<T>(lc.q.data(), lc.k.data(), lc.v.data(), lc.so.data(), lc.lse.data(),
                                dso.data(), offsets, H, KVH, D, dq.data(), dk.data(), dv.data(),
                                opts.pool);
    ApplyRope<T>(dq.data(), offsets, H, D, c.rotary_dim, c.rope_theta, true);
    ApplyRope<T>(dk.data(), offsets, KVH, D, c.rotary_dim, c.rope_theta, true);
    LinearBackward<T>(dq.data(), lc.h1.data(), Get(w, p + "self_attn.q_proj.weight"), N, C, HD,
                      dh1.data(), GetGrad(g, p + "self_attn.q_proj.weight"), true);
    LinearBackward<T>(dk.data(), lc.h1.data(), Get(w, p + "self_attn.k_proj.weight"), N, C, KD,
                      dh1.data(), GetGrad(g, p + "self_attn.k_proj.weight"), true);
    LinearBackward<T>(dv.data(), lc.h1.data(), Get(w, p + "self_attn.v_proj.weight"), N, C, KD,
                      dh1.data(), GetGrad(g, p + "self_attn.v_proj.weight"), true);
  }
  RmsNormBackward<T>(dh1.data(), x, Get(w, p + "input_layernorm.weight"), lc.rstd1.data(), N, C, dx,
                     GetGrad(g, p + "input_layernorm.weight"));
}

}  // namespace

std::string LmHeadName(const ModelConfig& c) {
  return c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
}

template <typename T>
void ModelForward(const ModelConfig& c, const WeightView<T>& w, const PackedBatch& batch,
                  const GradOptions& opts, Activations<T>* acts) {
  const int64_t N = static_cast<int64_t>(batch.tokens.size()), C = c.hidden_size;
  const int64_t L = c.num_layers;
  RL_CHECK(!batch.offsets.empty() && batch.offsets.back() == N);
  acts->num_tokens = N;
  acts->layer_inputs.assign((L + 1) * N * C, T(0));
  acts->layers.clear();
  acts->layers.resize(L);
  acts->aux_loss = 0;
  EmbeddingForward<T>(batch.tokens.data(), N, Get(w, std::string("model.embed_tokens.weight")), C,
                      acts->layer_inputs.data());
  LayerCache<T> scratch;
  for (int64_t l = 0; l < L; ++l) {
    LayerCache<T>* lc = &scratch;
    if (!opts.recompute) {
      acts->layers[l] = std::make_unique<LayerCache<T>>();
      lc = acts->layers[l].get();
    }
    LayerTimer timer(opts, c.layer_types[l]);
    const double aux =
        LayerForward<T>(c, l, w, acts->layer_inputs.data() + l * N * C, batch.offsets, opts, lc,
                        acts->layer_inputs.data() + (l + 1) * N * C);
    acts->aux_loss += opts.aux_loss_coef * aux / static_cast<double>(L);
  }
  acts->final_hidden.resize(N * C);
  acts->final_rstd.resize(N);
  RmsNormForward<T>(acts->layer_inputs.data() + L * N * C, Get(w, std::string("model.norm.weight")),
                    N, C, c.rms_norm_eps, acts->final_hidden.data(), acts->final_rstd.data());
}

template <typename T>
void ModelBackward(const ModelConfig& c, const WeightView<T>& w, const PackedBatch& batch,
                   const GradOptions& opts, Activations<T>* acts, const T* dhidden, Tensors<T>* g) {
  const int64_t N = acts->num_tokens, C = c.hidden_size, L = c.num_layers;
  std::vector<T> dx(N * C, T(0)), dprev(N * C);
  RmsNormBackward<T>(dhidden, acts->layer_inputs.data() + L * N * C,
                     Get(w, std::string("model.norm.weight")), acts->final_rstd.data(), N, C,
                     dx.data(), GetGrad(g, "model.norm.weight"));
  const double aux_scale = opts.aux_loss_coef / static_cast<double>(L);
  for (int64_t l = L - 1; l >= 0; --l) {
    LayerTimer timer(opts, c.layer_types[l]);
    const T* x = acts->layer_inputs.data() + l * N * C;
    std::unique_ptr<LayerCache<T>> lc = std::move(acts->layers[l]);
    if (!lc) {  // recompute this layer's intermediates from its input
      lc = std::make_unique<LayerCache<T>>();
      LayerForward<T>(c, l, w, x, batch.offsets, opts, lc.get(), dprev.data());
    }
    LayerBackward<T>(c, l, w, x, batch.offsets, opts, *lc, aux_scale, dx.data(), dprev.data(), g);
    std::swap(dx, dprev);
  }
  EmbeddingBackward<T>(batch.tokens.data(), N, dx.data(), C,
                       GetGrad(g, "model.embed_tokens.weight"));
}

namespace {
constexpr int64_t kHeadChunk = 128;
}  // namespace

template <typename T>
void LmHeadLogProbs(const T* hidden, const T* W, int64_t N, int64_t C, int64_t V,
                    std::span<const int32_t> targets, double temperature, T* logp, T* entropy,
                    int64_t vocab_limit) {
  const int64_t Vs = vocab_limit > 0 && vocab_limit < V ? vocab_limit : V;  // softmax support
  std::vector<T> z(kHeadChunk * V);
  for (int64_t r0 = 0; r0 < N; r0 += kHeadChunk) {
    const int64_t rc = std::min(kHeadChunk, N - r0);
    LinearForward<T>(hidden + r0 * C, W, rc, C, V, z.data());
    for (int64_t i = 0; i < rc; ++i) {
      const int64_t t = r0 + i;
      if (targets[t] < 0) {
        logp[t] = T(0);
        if (entropy) entropy[t] = T(0);
        continue;
      }
      const T* row = z.data() + i * V;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t v = 0; v < Vs; ++v) mx = std::max(mx, static_cast<double>(row[v]) / temperature);
      double sum = 0, ez = 0;
      for (int64_t v = 0; v < Vs; ++v) {
        const double u = static_cast<double>(row[v]) / temperature;
        const double e = std::exp(u - mx);
        sum += e;
        ez += e * u;
      }
      const double lse = mx + std::log(sum);
      logp[t] = static_cast<T>(static_cast<double>(row[targets[t]]) / temperature - lse);
      if (entropy) entropy[t] = static_cast<T>(lse - ez / sum);
    }
  }
}

template <typename T>
void LmHeadBackward(const T* hidden, const T* W, int64_t N, int64_t C, int64_t V,
                    std::span<const int32_t> targets, double temperature, const T* dlogp,
                    T* dhidden, T* dW, int64_t vocab_limit) {
  const int64_t Vs = vocab_limit > 0 && vocab_limit < V ? vocab_limit : V;  // softmax support
  std::vector<T> z(kHeadChunk * V), dz(kHeadChunk * V);
  for (int64_t r0 = 0; r0 < N; r0 += kHeadChunk) {
    const int64_t rc = std::min(kHeadChunk, N - r0);
    LinearForward<T>(hidden + r0 * C, W, rc, C, V, z.data());
    for (int64_t i = 0; i < rc; ++i) {
      const int64_t t = r0 + i;
      T* drow = dz.data() + i * V;
      if (targets[t] < 0 || dlogp[t] == T(0)) {
        std::fill(drow, drow + V, T(0));
        continue;
      }
      const T* row = z.data() + i * V;
      std::fill(drow + Vs, drow + V, T(0));  // masked logits: constant −∞, no gradient
      if constexpr (std::is_same_v<T, float>) {
        LogitGradient(std::span<const float>(row, Vs), targets[t], temperature, dlogp[t],
                      std::span<float>(drow, Vs));
      } else {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t v = 0; v < Vs; ++v)
          mx = std::max(mx, static_cast<double>(row[v]) / temperature);
        double sum = 0;
        for (int64_t v = 0; v < Vs; ++v)
          sum += std::exp(static_cast<double>(row[v]) / temperature - mx);
        for (int64_t v = 0; v < Vs; ++v) {
          const double pr = std::exp(static_cast<double>(row[v]) / temperature - mx) / sum;
          drow[v] = static_cast<T>(dlogp[t] * ((v == targets[t] ? 1.0 : 0.0) - pr) / temperature);
        }
      }
    }
    LinearBackward<T>(dz.data(), hidden + r0 * C, W, rc, C, V, dhidden + r0 * C, dW, false);
  }
}

#define RL_INSTANTIATE(T)                                                                      \
  template struct Activations<T>;                                                              \
  template WeightView<T> ViewOf<T>(const Tensors<T>&);                                         \
  template Tensors<T> ZeroTensors<T>(const ModelConfig&);                                      \
  template void ModelForward<T>(const ModelConfig&, const WeightView<T>&, const PackedBatch&,  \
                                const GradOptions&, Activations<T>*);                          \
  template void ModelBackward<T>(const ModelConfig&, const WeightView<T>&, const PackedBatch&, \
                                 const GradOptions&, Activations<T>*, const T*, Tensors<T>*);  \
  template void LmHeadLogProbs<T>(const T*, const T*, int64_t, int64_t, int64_t,               \
                                  std::span<const int32_t>, double, T*, T*, int64_t);          \
  template void LmHeadBackward<T>(const T*, const T*, int64_t, int64_t, int64_t,               \
                                  std::span<const int32_t>, double, const T*, T*, T*, int64_t);
RL_INSTANTIATE(float)
RL_INSTANTIATE(double)
#undef RL_INSTANTIATE

}  // namespace rl::learner
