#include "supernet/threads.h"

#include <dlfcn.h>

#include <ATen/Parallel.h>

namespace hwnas::supernet {

void SetThreads(int threads) {
  at::set_num_threads(threads);
  // Looked up rather than linked: Debian chooses the BLAS behind libblas.so.3 by alternatives,
  // and only OpenBLAS has a pool of its own to size.
  using SetBlasThreads = void (*)(int);
  static const auto set_blas_threads =
      reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_blas_threads != nullptr) set_blas_threads(threads);
}

}  // namespace hwnas::supernet
