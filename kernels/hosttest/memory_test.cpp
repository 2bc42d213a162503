// memory_test.cpp: kernels/memory.cu, fill over part of a buffer (NaN, as the tests poison outputs, and a
// number), leaving its neighbours alone; gather of shuffled rows (floats bit for bit, NaN included, and
// ints), from an offset into the order, the rest of dst untouched.
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

// A dataset of n rows of rowSize words, a shuffled order; gathers rows order[first .. first+rows) into dst.
void test_gather(int n, int rowSize, int first, int rows) {
    std::mt19937 rng(n * 31 + rowSize);
    auto src = random_vector((size_t)n * rowSize);
    src[0] = kNaN; // copied as bits: NaN stays NaN
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<float> dst((size_t)(rows + 1) * rowSize, 7.0f); // one row more: must stay 7
    std::vector<double> want(dst.begin(), dst.end());
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < rowSize; ++j) want[(size_t)i * rowSize + j] = src[(size_t)order[first + i] * rowSize + j];
    launch_n((long long)rows * rowSize, [&] {
        gather_rows_u32(reinterpret_cast<const unsigned int*>(src.data()), order.data(), first,
                        reinterpret_cast<unsigned int*>(dst.data()), rows, rowSize);
    });
    check("gather " + std::to_string(rows) + " of " + std::to_string(n) + " rows of " + std::to_string(rowSize) +
          " from order[" + std::to_string(first) + "]", dst, want, 0, 0);
    // labels: one int per row
    std::vector<int> labels(n), got(rows + 1, -1);
    for (int i = 0; i < n; ++i) labels[i] = (i * 7919) % 10;
    launch_n(rows, [&] {
        gather_rows_u32(reinterpret_cast<const unsigned int*>(labels.data()), order.data(), first,
                        reinterpret_cast<unsigned int*>(got.data()), rows, 1);
    });
    bool ok = got[rows] == -1;
    for (int i = 0; i < rows; ++i) ok = ok && got[i] == labels[order[first + i]];
    expect(ok, "gather of int labels by the same order");
}

HOSTTEST_FAMILY(memory) {
    test_gather(300, 784, 64, 64);    // MNIST-sized rows, the second batch of an epoch
    test_gather(1000, 3, 936, 64);    // the last full batch
    test_gather(5, 1, 0, 5);
    test_fill(777, 0, kNaN);
    test_fill(777, 5, kNaN);
    test_fill(256 * 3 + 1, 3, 2.5f); // one thread of the last block
}

} // namespace memory_test
