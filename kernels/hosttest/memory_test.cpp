// memory_test.cpp: kernels/memory.cu, fill over part of a buffer (NaN, as the tests poison outputs, and a
// number), leaving its neighbours alone.
#include "harness.h"

namespace memory_test {

using namespace hosttest;

// Fills the n elements after the first `offset` of a buffer of n + 2*offset random values.
void test_fill(int n, int offset, float value) {
    auto buffer = random_vector((size_t)n + 2 * offset);
    std::vector<double> want(buffer.begin(), buffer.end());
    std::fill(want.begin() + offset, want.begin() + offset + n, (double)value);
    launch_n(n, [&] { fill_f32(buffer.data() + offset, n, value); });
    check("fill " + std::to_string(n) + " values with " + std::to_string(value) + " inside a larger buffer", buffer,
          want, 0, 0);
}

HOSTTEST_FAMILY(memory) {
    test_fill(777, 0, kNaN);
    test_fill(777, 5, kNaN);
    test_fill(256 * 3 + 1, 3, 2.5f); // one thread of the last block
}

} // namespace memory_test
