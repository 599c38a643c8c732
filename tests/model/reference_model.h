// A double-precision reference of the MiniMax-Text-01 forward for tests, written straight
// from RECIPE.md with no code shared with rl/model: token by token, lightning layers by the
// recurrence, softmax layers by explicit causal attention with partial NeoX RoPE.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "rl/model/params.h"

namespace rl::model::testing {

class ReferenceModel {
 public:
  ReferenceModel(const ModelConfig& c, const ParamMap& p) : c_(c), p_(p) {}

  // Logits (T, V) of one sequence, in double.
  std::vector<double> Logits(const std::vector<int32_t>& tokens) const {
    const int64_t T = tokens.size(), C = c_.hidden_size, V = c_.vocab_size;
    std::vector<std::vector<double>> x(T);
    for (int64_t t = 0; t < T; ++t) x[t] = Row("model.embed_tokens.weight", tokens[t]);
    for (int64_t l = 0; l < c_.num_layers; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      const bool lin = c_.layer_types[l] == LayerType::kLightning;
      std::vector<std::vector<double>> h(T), a;
      for (int64_t t = 0; t < T; ++t) h[t] = Norm(x[t], W(pre + "input_layernorm.weight"), c_.rms_norm_eps);
      a = lin ? Lightning(pre, l, h) : Softmax(pre, h);
      const double al = lin ? c_.lightning_alpha : c_.softmax_alpha;
      const double be = lin ? c_.lightning_beta : c_.softmax_beta;
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t i = 0; i < C; ++i) x[t][i] = al * (c_.postnorm ? h[t][i] : x[t][i]) + be * a[t][i];
        auto h2 = Norm(x[t], W(pre + "post_attention_layernorm.weight"), c_.rms_norm_eps);
        auto m = Moe(pre, h2);
        for (int64_t i = 0; i < C; ++i) {
          x[t][i] = c_.mlp_alpha * (c_.postnorm ? h2[i] : x[t][i]) + c_.mlp_beta * m[i];
        }
      }
    }
    std::vector<double> logits(T * V);
    const std::string head = c_.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
    for (int64_t t = 0; t < T; ++t) {
      auto f = Norm(x[t], W("model.norm.weight"), c_.rms_norm_eps);
      auto z = MatVec(head, f);
      for (int64_t v = 0; v < V; ++v) logits[t * V + v] = z[v];
    }
    return logits;
  }

 private:
  const std::vector<float>& W(const std::string& n) const { return p_.at(n).data; }
  std::vector<double> Row(const std::string& n, int64_t r) const {
    const auto& t = p_.at(n);
    const int64_t cols = t.shape[1];
    return std::vector<double>(t.data.begin() + r * cols, t.data.begin() + (r + 1) * cols);
  }
  // W (out, in) · x.
  std::vector<double> MatVec(const std::string& n, const std::vector<double>& x) const {
    const auto& t = p_.at(n);
    std::vector<double> y(t.shape[0], 0.0);
    for (int64_t o = 0; o < t.shape[0]; ++o) {
      for (int64_t i = 0; i < t.shape[1]; ++i) y[o] += double(t.data[o * t.shape[1] + i]) * x[i];
    }
    return y;
  }
  static std::vector<double> Norm(const std::vector<double>& x, const std::vector<float>& w, double eps) {
    double ms = 0;
    for (double v : x) ms += v * v;
    const double inv = 1.0 / std::sqrt(ms / x.size() + eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = w[i] * x[i] * inv;
    return y;
  }
  static double Sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

  std::vector<std::vector<double>> Lightning(const std::string& pre, int64_t l,
                                             const std::vector<std::vector<double>>& h) const {
    const int64_t H = c_.num_heads, D = c_.head_dim, L = c_.num_layers;
    std::vector<std::vector<double>> kv(H, std::vector<double>(D * D, 0.0)), out;
    for (const auto& ht : h) {
      auto qkv = MatVec(pre + "self_attn.qkv_proj.weight", ht);
      for (auto& v : qkv) v = v * Sig(v);
      std::vector<double> o(H * D, 0.0);
      for (int64_t hh = 0; hh < H; ++hh) {
        const double factor = c_.dialect == "transformers" ? 1 - double(l) / (L - 1 + 1e-5) + 1e-5
                              : L == 1                     ? 1 + 1e-5
                                                           : 1 - double(l) / (L - 1) + 1e-5;
        const double lambda = std::exp(-std::pow(2.0, -8.0 * (hh + 1) / H) * factor);
        const double* q = &qkv[hh * 3 * D];
        const double* k = q + D;
        const double* v = q + 2 * D;
        for (int64_t a = 0; a < D; ++a) {
          for (int64_t b = 0; b < D; ++b) kv[hh][a * D + b] = lambda * kv[hh][a * D + b] + k[a] * v[b];
        }
        for (int64_t b = 0; b < D; ++b) {
          for (int64_t a = 0; a < D; ++a) o[hh * D + b] += q[a] * kv[hh][a * D + b];
        }
      }
      o = Norm(o, W(pre + "self_attn.norm.weight"), c_.lightning_norm_eps);
      auto g = MatVec(pre + "self_attn.output_gate.weight", ht);
      for (int64_t i = 0; i < H * D; ++i) o[i] *= Sig(g[i]);
      out.push_back(MatVec(pre + "self_attn.out_proj.weight", o));
    }
    return out;
  }

  std::vector<double> Rope(std::vector<double> x, int64_t heads, int64_t pos) const {
    const int64_t D = c_.head_dim, half = c_.rotary_dim / 2;
    for (int64_t hh = 0; hh < heads; ++hh) {
      for (int64_t i = 0; i < half; ++i) {
        const double ang = pos * std::pow(c_.rope_theta, -2.0 * i / c_.rotary_dim);
        const double a = x[hh * D + i], b = x[hh * D + i + half];
        x[hh * D + i] = a * std::cos(ang) - b * std::sin(ang);
        x[hh * D + i + half] = b * std::cos(ang) + a * std::sin(ang);
      }
    }
    return x;
  }

  std::vector<std::vector<double>> Softmax(const std::string& pre,
                                           const std::vector<std::vector<double>>& h) const {
    const int64_t H = c_.num_heads, D = c_.head_dim, KVH = c_.num_kv_heads, T = h.size();
    std::vector<std::vector<double>> q(T), k(T), v(T), out;
    for (int64_t t = 0; t < T; ++t) {
      q[t] = Rope(MatVec(pre + "self_attn.q_proj.weight", h[t]), H, t);
      k[t] = Rope(MatVec(pre + "self_attn.k_proj.weight", h[t]), KVH, t);
      v[t] = MatVec(pre + "self_attn.v_proj.weight", h[t]);
    }
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> o(H * D, 0.0);
      for (int64_t hh = 0; hh < H; ++hh) {
        const int64_t g = hh / (H / KVH);
        std::vector<double> s(t + 1);
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j <= t; ++j) {
          s[j] = 0;
          for (int64_t a = 0; a < D; ++a) s[j] += q[t][hh * D + a] * k[j][g * D + a];
          s[j] /= std::sqrt(double(D));
          mx = std::max(mx, s[j]);
        }
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= t; ++j) {
          for (int64_t a = 0; a < D; ++a) o[hh * D + a] += s[j] / sum * v[j][g * D + a];
        }
      }
      out.push_back(MatVec(pre + "self_attn.o_proj.weight", o));
    }
    return out;
  }

  std::vector<double> Moe(const std::string& pre, const std::vector<double>& h) const {
    const int64_t E = c_.num_experts, K = c_.experts_per_token;
    auto z = MatVec(pre + "block_sparse_moe.gate.weight", h);
    std::vector<bool> used(E, false);
    std::vector<int64_t> sel;
    for (int64_t j = 0; j < K; ++j) {
      int64_t best = -1;
      for (int64_t e = 0; e < E; ++e) if (!used[e] && (best < 0 || z[e] > z[best])) best = e;
      used[best] = true;
      sel.push_back(best);
    }
    double den = 0;
    for (int64_t e : sel) den += std::exp(z[e]);
    std::vector<double> y(h.size(), 0.0);
    for (int64_t e : sel) {
      const std::string q = pre + "block_sparse_moe.experts." + std::to_string(e) + ".";
      auto a = MatVec(q + "w1.weight", h), b = MatVec(q + "w3.weight", h);
      for (size_t i = 0; i < a.size(); ++i) a[i] = a[i] * Sig(a[i]) * b[i];
      auto o = MatVec(q + "w2.weight", a);
      for (size_t i = 0; i < y.size(); ++i) y[i] += std::exp(z[e]) / den * o[i];
    }
    return y;
  }

  const ModelConfig& c_;
  const ParamMap& p_;
};

}  // namespace rl::model::testing
