#include "rl/kernels/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <cstdlib>

#include "rl/kernels/parallel.h"

namespace rl::kernels {

namespace {

// Below this many multiply-adds a product stays on the calling thread.
constexpr int64_t kParallelMacs = int64_t{1} << 20;

void LinearSerial(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
                  float* y, int64_t ldy, bool accumulate) {
  if (n == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, x, 1, accumulate ? 1.0f : 0.0f,
                y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, ldx, W, in,
              accumulate ? 1.0f : 0.0f, y, ldy);
}

}  // namespace

void Linear(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
            float* y, int64_t ldy, bool accumulate, ParallelTeam* team) {
  if (n == 0 || out == 0) return;
  if (team == nullptr || team->size() == 1 || n * in * out < kParallelMacs || out < 32) {
    LinearSerial(x, ldx, W, n, in, out, y, ldy, accumulate);
    return;
  }
  // Column chunks, a multiple of 16 wide, one per thread.
  const int64_t parts = team->size();
  const int64_t width = ((out + parts - 1) / parts + 15) / 16 * 16;
  team->Run((out + width - 1) / width, [&](int64_t p) {
    const int64_t c0 = p * width, m = std::min(width, out - c0);
    LinearSerial(x, ldx, W + c0 * in, n, in, m, y + c0, ldy, accumulate);
  });
}

void SetBlasSingleThreaded() { openblas_set_num_threads(1); }

std::string BlasInfo() {
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  return std::string(openblas_get_config()) + "; core " + openblas_get_corename() + ", " +
         std::to_string(openblas_get_num_threads()) + " threads, OPENBLAS_CORETYPE=" +
         (coretype != nullptr ? coretype : "(unset)");
}

std::string BlasCoreWarning() {
  const std::string core = openblas_get_corename();
#if defined(__x86_64__)
  const bool generic = core == "Prescott" || core == "Core2" || core == "Nehalem" ||
                       core == "Katmai" || core == "Banias";
  if (generic && __builtin_cpu_supports("avx512f")) {
    return "OpenBLAS picked the generic '" + core +
           "' kernels on an AVX-512 CPU it does not recognise; sgemm runs several times "
           "slower. Export OPENBLAS_CORETYPE=SkylakeX before starting.";
  }
  if (generic && __builtin_cpu_supports("avx2")) {
    return "OpenBLAS picked the generic '" + core +
           "' kernels on an AVX2 CPU; export OPENBLAS_CORETYPE=Haswell before starting.";
  }
#endif
  return "";
}

}  // namespace rl::kernels
