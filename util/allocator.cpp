#include "util/allocator.hpp"

#include <cstdlib> // defines __GLIBC__ with the C library's other macros

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dbadvise::util {

void tune_allocator() {
#if defined(__GLIBC__)
    constexpr int k_mb = 1 << 20;
    mallopt(M_MMAP_THRESHOLD, 32 * k_mb); // the largest glibc documents for 64-bit systems
    mallopt(M_TRIM_THRESHOLD, 128 * k_mb);
    mallopt(M_TOP_PAD, 16 * k_mb);
#endif
}

} // namespace dbadvise::util
