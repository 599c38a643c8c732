// Proves the shared decay math (rl/kernels/decay.h) compiles for the device: a kernel that
// fills the decay powers of one head. The CPU tests cover the same header.
#include <cuda_runtime.h>

#include "rl/kernels/decay.h"

namespace rl::kernels::cuda {

__global__ void DecayPowersKernel(double slope, int64_t count, float* out) {
  int64_t n = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (n < count) out[n] = DecayPower(slope, n);
}

// device_out: (count). Returns the CUDA error code (cudaSuccess = 0).
int DecayPowers(double slope, int64_t count, float* device_out) {
  DecayPowersKernel<<<static_cast<unsigned>((count + 255) / 256), 256>>>(slope, count, device_out);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace rl::kernels::cuda
