// Proves the CUDA toolchain wiring: a trivial kernel compiled for every configured arch.
// Real kernels join this library as the engine gains its CUDA side (see rl/kernels/README.md).
#include <cuda_runtime.h>

namespace rl::kernels::cuda {

__global__ void ScaleKernel(float* x, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}

// Returns the CUDA error code (cudaSuccess = 0); callers on machines without a GPU get an error.
int Scale(float* device_x, float a, int n) {
  ScaleKernel<<<(n + 255) / 256, 256>>>(device_x, a, n);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace rl::kernels::cuda
