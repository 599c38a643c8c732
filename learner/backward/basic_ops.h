// Forward and backward of the model's simple ops (llm.c style: flat free functions over
// contiguous row-major buffers), templated on float/double so the gradient checks run the
// same code in double. Every backward says whether it OVERWRITES or ACCUMULATES (+=) into
// each output. Shapes: N rows (tokens), C columns. Pointers may not alias unless stated.
// Pure functions; thread-safe for distinct outputs.
#pragma once

#include <cmath>
#include <cstdint>

#include "learner/backward/gemm.h"

namespace rl::learner {

// ---- embedding -------------------------------------------------------------------------

// out[t] = table[tokens[t]]. Overwrites out.
template <typename T>
void EmbeddingForward(const int32_t* tokens, int64_t N, const T* table /*(V, C)*/, int64_t C,
                      T* out /*(N, C)*/) {
  for (int64_t t = 0; t < N; ++t) {
    const T* row = table + static_cast<int64_t>(tokens[t]) * C;
    for (int64_t c = 0; c < C; ++c) out[t * C + c] = row[c];
  }
}

// dtable[tokens[t]] += dout[t]. ACCUMULATES into dtable.
template <typename T>
void EmbeddingBackward(const int32_t* tokens, int64_t N, const T* dout /*(N, C)*/, int64_t C,
                       T* dtable /*(V, C)*/) {
  for (int64_t t = 0; t < N; ++t) {
    T* row = dtable + static_cast<int64_t>(tokens[t]) * C;
    for (int64_t c = 0; c < C; ++c) row[c] += dout[t * C + c];
  }
}

// ---- RMSNorm (fp32 or wider; the sum of squares is accumulated in double) ----------------

// y = w ⊙ x · rstd, rstd = 1/sqrt(mean(x²) + eps) per row. Overwrites y and rstd (N).
template <typename T>
void RmsNormForward(const T* x /*(N, C)*/, const T* w /*(C)*/, int64_t N, int64_t C, double eps,
                    T* y /*(N, C)*/, T* rstd /*(N)*/) {
  for (int64_t t = 0; t < N; ++t) {
    const T* xr = x + t * C;
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += static_cast<double>(xr[c]) * xr[c];
    T r = static_cast<T>(1.0 / std::sqrt(ss / static_cast<double>(C) + eps));
    rstd[t] = r;
    for (int64_t c = 0; c < C; ++c) y[t * C + c] = w[c] * (xr[c] * r);
  }
}

// dx = rstd·(w⊙dy) − rstd³/C · x · Σ_c(w_c dy_c x_c): ACCUMULATES into dx.
// dw += Σ_t dy ⊙ x · rstd: ACCUMULATES into dw.
template <typename T>
void RmsNormBackward(const T* dy /*(N, C)*/, const T* x /*(N, C)*/, const T* w /*(C)*/,
                     const T* rstd /*(N)*/, int64_t N, int64_t C, T* dx /*(N, C)*/, T* dw /*(C)*/) {
  for (int64_t t = 0; t < N; ++t) {
    const T* dyr = dy + t * C;
    const T* xr = x + t * C;
    T r = rstd[t];
    double dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += static_cast<double>(w[c]) * dyr[c] * xr[c];
    T k = static_cast<T>(dot * static_cast<double>(r) * r * r / static_cast<double>(C));
    for (int64_t c = 0; c < C; ++c) {
      dx[t * C + c] += r * w[c] * dyr[c] - k * xr[c];
      dw[c] += dyr[c] * xr[c] * r;
    }
  }
}

// ---- linear layers (no bias): y = x Wᵀ, W (out, in) as in PyTorch ------------------------

// Overwrites y (beta = 0) or accumulates (beta = 1).
template <typename T>
void LinearForward(const T* x /*(N, in)*/, const T* W /*(out, in)*/, int64_t N, int64_t in,
                   int64_t out, T* y /*(N, out)*/, T beta = T(0)) {
  Gemm<T>(false, true, N, out, in, T(1), x, in, W, in, beta, y, out);
}

// dx (+)= dy W: ACCUMULATES into dx when accumulate_dx, else overwrites; dx may be null.
// dW += dyᵀ x: ACCUMULATES into dW.
template <typename T>
void LinearBackward(const T* dy /*(N, out)*/, const T* x /*(N, in)*/, const T* W /*(out, in)*/,
                    int64_t N, int64_t in, int64_t out, T* dx /*(N, in)*/, T* dW /*(out, in)*/,
                    bool accumulate_dx = true) {
  if (dx != nullptr) {
    Gemm<T>(false, false, N, in, out, T(1), dy, out, W, in, accumulate_dx ? T(1) : T(0), dx, in);
  }
  Gemm<T>(true, false, out, in, N, T(1), dy, out, x, in, T(1), dW, in);
}

// ---- SiLU and sigmoid -----------------------------------------------------------------

template <typename T>
inline T Sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <typename T>
inline T Silu(T x) {
  return x * Sigmoid(x);
}
// d silu / dx = σ(x)·(1 + x·(1 − σ(x))).
template <typename T>
inline T SiluGrad(T x) {
  T s = Sigmoid(x);
  return s * (T(1) + x * (T(1) - s));
}

// y = silu(x), n values. Overwrites y (may alias x).
template <typename T>
void SiluForward(const T* x, int64_t n, T* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = Silu(x[i]);
}

// dx = dy ⊙ silu'(x). OVERWRITES dx (may alias dy).
template <typename T>
void SiluBackward(const T* dy, const T* x, int64_t n, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * SiluGrad(x[i]);
}

// The lightning output gate: y = σ(g) ⊙ o. Overwrites y.
template <typename T>
void SigmoidGateForward(const T* g, const T* o, int64_t n, T* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = Sigmoid(g[i]) * o[i];
}

// do = dy ⊙ σ(g); dg = dy ⊙ o ⊙ σ(g)(1 − σ(g)). OVERWRITES do_ and dg.
template <typename T>
void SigmoidGateBackward(const T* dy, const T* g, const T* o, int64_t n, T* do_, T* dg) {
  for (int64_t i = 0; i < n; ++i) {
    T s = Sigmoid(g[i]);
    do_[i] = dy[i] * s;
    dg[i] = dy[i] * o[i] * s * (T(1) - s);
  }
}

// ---- α/β residual: y = α·r + β·f -------------------------------------------------------

// dr += α·dy, df = β·dy: ACCUMULATES into dr, OVERWRITES df.
template <typename T>
void ResidualBackward(const T* dy, int64_t n, double alpha, double beta, T* dr, T* df) {
  for (int64_t i = 0; i < n; ++i) {
    dr[i] += static_cast<T>(alpha) * dy[i];
    df[i] = static_cast<T>(beta) * dy[i];
  }
}

}  // namespace rl::learner
