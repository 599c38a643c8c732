// Row-major GEMM over float or double, backed by OpenBLAS (cblas_sgemm / cblas_dgemm), so
// every kernel of the learner can run in double for the gradient checks.
//   C (M, N) = alpha · op(A) · op(B) + beta · C,  op(X) = Xᵀ when the trans flag is set.
// lda/ldb/ldc are the row strides of the stored matrices. beta = 0 overwrites C (NaNs in C
// are not propagated), beta = 1 accumulates. Thread-safe (OpenBLAS pthreads build).
#pragma once

#include <cstdint>

namespace rl::learner {

template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// Number of threads OpenBLAS uses (fixed thread counts make results bitwise reproducible).
void SetBlasThreads(int n);
int BlasThreads();

}  // namespace rl::learner
