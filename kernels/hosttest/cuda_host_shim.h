// cuda_host_shim.h: just enough of CUDA to run kernels/*.cu on the CPU, for tests on machines without a GPU.
//
// Each launch runs its blocks one after another; a block runs on blockDim.x real threads (a persistent
// team of std::threads) that meet at __syncthreads() on a std::barrier, so shared-memory reductions and tiles behave as on a GPU.
// __shared__ arrays become function-local statics: shared by the threads of the running block, which is
// exactly their CUDA meaning as long as one block runs at a time. Built with AddressSanitizer by run.sh,
// so an out-of-bounds index in a kernel fails the test.
#ifndef CN4J_CUDA_HOST_SHIM_H
#define CN4J_CUDA_HOST_SHIM_H

#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
inline std::barrier<>* cn4j_host_barrier = nullptr;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct alignas(16) float4 {
    float x, y, z, w;
};

inline void __syncthreads() {
    cn4j_host_barrier->arrive_and_wait();
}

inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}

// A persistent team of blockDim.x worker threads: for each block the launcher publishes the block index,
// releases the team through `start`, and waits at `done` until every thread has run the kernel body.
class HostBlockTeam {
public:
    explicit HostBlockTeam(unsigned threads)
        : threads_(threads), start_(threads + 1), done_(threads + 1), sync_(threads) {
        for (unsigned t = 0; t < threads; ++t) {
            workers_.emplace_back([this, t] { work(t); });
        }
    }

    ~HostBlockTeam() {
        quit_ = true;
        start_.arrive_and_wait();
        for (auto& w : workers_) {
            w.join();
        }
    }

    unsigned threads() const { return threads_; }

    void run_block(dim3 block, const std::function<void()>* body) {
        block_ = block;
        body_ = body;
        cn4j_host_barrier = &sync_;
        start_.arrive_and_wait();
        done_.arrive_and_wait();
    }

private:
    void work(unsigned t) {
        for (;;) {
            start_.arrive_and_wait();
            if (quit_) {
                return;
            }
            threadIdx = dim3{t, 0, 0};
            blockIdx = block_;
            (*body_)();
            done_.arrive_and_wait();
        }
    }

    unsigned threads_;
    std::barrier<> start_;
    std::barrier<> done_;
    std::barrier<> sync_;
    std::vector<std::thread> workers_;
    dim3 block_;
    const std::function<void()>* body_ = nullptr;
    bool quit_ = false;
};

// Runs body (a call of one kernel with its arguments) on a grid of blocks of `threads` threads, one block
// after another.
inline void host_launch(dim3 grid, unsigned threads, const std::function<void()>& body) {
    static std::unique_ptr<HostBlockTeam> team;
    if (!team || team->threads() != threads) {
        team.reset();
        team = std::make_unique<HostBlockTeam>(threads);
    }
    gridDim = grid;
    blockDim = dim3{threads, 1, 1};
    for (unsigned z = 0; z < grid.z; ++z) {
        for (unsigned y = 0; y < grid.y; ++y) {
            for (unsigned x = 0; x < grid.x; ++x) {
                team->run_block(dim3{x, y, z}, &body);
            }
        }
    }
}

#endif
