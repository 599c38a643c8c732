#include "rl/kernels/matmul.h"

#include <cblas.h>

#include <cstdlib>

namespace rl::kernels {

void Linear(const float* x, int64_t ldx, const float* W, int64_t n, int64_t in, int64_t out,
            float* y, int64_t ldy, bool accumulate) {
  if (n == 0 || out == 0) return;
  if (n == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, x, 1, accumulate ? 1.0f : 0.0f,
                y, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, ldx, W, in,
              accumulate ? 1.0f : 0.0f, y, ldy);
}

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
