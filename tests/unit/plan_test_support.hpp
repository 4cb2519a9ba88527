// Shared helpers of the plan unit tests: reading the captured plans in testdata/plans.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dbadvise::test {

/// The contents of testdata/plans/<name>; throws when the file is missing.
inline std::string read_plan_file(const std::string& name) {
    const std::string path = std::string(DBADVISE_SOURCE_DIR) + "/testdata/plans/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace dbadvise::test
