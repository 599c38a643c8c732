// Linear layer through OpenBLAS cblas_sgemm: y = x · Wᵀ (+ y when accumulate), with W in the
// PyTorch [out, in] layout. One row (n = 1, batch-1 decode) goes through sgemv. Thread-safety: OpenBLAS's;
// distinct outputs may be computed from several threads.
#pragma once

#include <cstdint>
#include <string>

namespace rl::kernels {

class ParallelTeam;

// x: (n, in) row stride ldx; W: (out, in); y: (n, out) row stride ldy. With a team, large
// products are split by output columns across it (OpenBLAS itself then runs one thread per
// call, see SetBlasSingleThreaded); must not be called from inside a task of that team.
void Linear(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
            float* y, int64_t ldy, bool accumulate = false, ParallelTeam* team = nullptr);

// Makes OpenBLAS run every call on the calling thread (process-wide). The engine parallelises
// itself (ParallelTeam): OpenBLAS's own threads spin in sched_yield between the many small
// calls of a decode step, which dominated decode time, worst on a shared CPU.
void SetBlasSingleThreaded();

// One line describing the BLAS in use (OpenBLAS version, the core kernel it picked, its
// threads, OPENBLAS_CORETYPE), for logs and benchmark headers.
std::string BlasInfo();

// Non-empty when OpenBLAS fell back to a generic core (e.g. "Prescott" on an AVX-512 CPU it
// does not recognise), which makes sgemm several times slower: says which
// OPENBLAS_CORETYPE to export.
std::string BlasCoreWarning();

// Contiguous convenience form: x (n, in), y (n, out).
inline void Linear(const float* x, const float* W, int64_t n, int64_t in, int64_t out, float* y,
                   bool accumulate = false, ParallelTeam* team = nullptr) {
  Linear(x, in, W, n, in, out, y, out, accumulate, team);
}

}  // namespace rl::kernels
