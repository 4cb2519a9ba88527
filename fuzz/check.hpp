// A failed invariant inside a fuzz target: print it and abort, which libFuzzer (and the
// replay tests) report as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                  \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,     \
                         #condition);                                                          \
            std::abort();                                                                      \
        }                                                                                      \
    } while (false)
