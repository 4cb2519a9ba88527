#include "cli/run.hpp"

#include <iostream>

int main(int argc, char** argv) {
    return dbadvise::cli::run(argc, argv, std::cin, std::cout, std::cerr);
}
