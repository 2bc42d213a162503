// main.cpp: runs the kernels of kernels/*.cu on the CPU (cuda_host_shim.h) against plain double references, one
// family at a time, with the launch sequences and geometry CudaBackend uses. Built by run.sh as one translation
// unit with every <family>_test.cpp (all_tests.inc), and run by KernelHostTest where g++ exists.
//   kernel_tests                               every family
//   kernel_tests FAMILY...                     those families (named as their kernels/FAMILY.cu)
//   kernel_tests --list                        the family names, one a line
//   kernel_tests --dropout-mask SEED P N       the N mask values of dropout_forward_f32 as float bit patterns
//                                              (hex), for the Java test to compare with DropoutMask bit for bit
//   kernel_tests --winograd-error              Winograd's measured error on AlexNet's conv3-5 (minutes)
//   kernel_tests --fft-error                   the FFT convolution's measured error on AlexNet-OWT's conv2 (minutes)
// Prints one line per check, "FAMILY: N passed, M failed" per family and "N passed, M failed" over all of them;
// exits 1 when a check failed, 2 on an unknown family.
#include "harness.h"

#include "all_tests.inc"

int main(int argc, char** argv) {
    using namespace hosttest;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 4 && args[0] == "--dropout-mask") {
        return dropout_test::print_dropout_mask(std::strtoull(args[1].c_str(), nullptr, 10),
                                                std::strtof(args[2].c_str(), nullptr), std::atoi(args[3].c_str()));
    }
    if (args.size() == 1 && args[0] == "--winograd-error") {
        return convolution_winograd_test::print_winograd_error();
    }
    if (args.size() == 1 && args[0] == "--fft-error") {
        return convolution_fft_test::print_fft_error();
    }
    if (args.size() == 1 && args[0] == "--list") {
        for (const Family& f : families()) {
            std::printf("%s\n", f.name);
        }
        return 0;
    }
    std::vector<const Family*> chosen;
    for (const Family& f : families()) {
        if (args.empty() || std::find(args.begin(), args.end(), f.name) != args.end()) {
            chosen.push_back(&f);
        }
    }
    for (const std::string& a : args) {
        if (std::none_of(chosen.begin(), chosen.end(), [&](const Family* f) { return a == f->name; })) {
            std::fprintf(stderr, "unknown family '%s': expected one of", a.c_str());
            for (const Family& f : families()) {
                std::fprintf(stderr, " %s", f.name);
            }
            std::fprintf(stderr, ", or --list, --dropout-mask SEED P N, --winograd-error, --fft-error\n");
            return 2;
        }
    }
    for (const Family* f : chosen) {
        int passedBefore = passed, failedBefore = failed;
        std::printf("== %s\n", f->name);
        rng.seed(kSeed); // a family's inputs do not depend on which families ran before it
        f->run();
        std::printf("%s: %d passed, %d failed\n", f->name, passed - passedBefore, failed - failedBefore);
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
