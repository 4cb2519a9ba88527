#include "cli/run.hpp"
#include "util/allocator.hpp"

#include <iostream>

int main(int argc, char** argv) {
    dbadvise::util::tune_allocator();
    return dbadvise::cli::run(argc, argv, std::cin, std::cout, std::cerr);
}
