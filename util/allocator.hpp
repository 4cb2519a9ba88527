// The memory allocator's settings for a dbadvise process (glibc malloc).
#pragma once

namespace dbadvise::util {

/// Keeps memory a run frees for the allocations that follow, instead of handing it back to
/// the system and faulting it in again: blocks up to 32 MB come from the heap rather than
/// their own mapping, and up to 128 MB free at the heap's top stay there. glibc's defaults
/// map a block of 128 KB up to 32 MB (growing with what was freed) and give back what passes
/// twice that; a lint run with tens of thousands of findings grows its vectors through
/// those sizes over and over, and on a virtual machine a page fault is dear: these settings
/// made a one-thread lint of bench/lint_bench's corpus about 10% faster, with the same peak
/// memory. Call once, first thing in main(); a no-op where the C library has no mallopt.
void tune_allocator();

} // namespace dbadvise::util
