// Coverage feedback for libFuzzer from GCC's -fsanitize-coverage=trace-pc: GCC calls
// __sanitizer_cov_trace_pc at the start of every basic block. The hook counts the edge from
// the previous block to this one in a table that libFuzzer reads as "extra counters" (its
// section name is what libFuzzer looks for). The table is per process, the previous block per
// thread: lint parses large texts on a second thread, and each thread has its own path.
#include <cstddef>
#include <cstdint>

namespace {
constexpr std::size_t k_counters = std::size_t{1} << 16;
thread_local std::uintptr_t t_previous = 0;
} // namespace

extern "C" {

__attribute__((section("__libfuzzer_extra_counters"), used))
std::uint8_t dbadvise_fuzz_edge_counters[k_counters];

void __sanitizer_cov_trace_pc() {
    const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    // Mix the address so nearby blocks land far apart, then pair it with the previous block.
    const std::uintptr_t block = (pc ^ (pc >> 15)) * 0x9E3779B97F4A7C15ULL >> 16;
    std::uint8_t& counter = dbadvise_fuzz_edge_counters[(block ^ t_previous) % k_counters];
    // Saturate rather than wrap: 256 hits must not look like none.
    if (counter != 0xFF) {
        ++counter;
    }
    t_previous = block >> 1;
}

// GCC also traces floating-point comparisons, which libFuzzer has no use for.
void __sanitizer_cov_trace_cmpf(float, float) {}
void __sanitizer_cov_trace_cmpd(double, double) {}

} // extern "C"
