// The process's intra-op thread count, for LibTorch and for the BLAS beneath it. LibTorch's
// at::set_num_threads leaves OpenBLAS's own pool at the core count: on 2 cores a 1-thread latency
// measurement then had a second OpenBLAS thread spinning in sched_yield after every matrix
// product (a third of the CPU time in the kernel, and the measured core slowed by its sibling).
#pragma once

namespace hwnas::supernet {

// at::set_num_threads(threads), and the same for OpenBLAS when it is the BLAS loaded.
void SetThreads(int threads);

}  // namespace hwnas::supernet
