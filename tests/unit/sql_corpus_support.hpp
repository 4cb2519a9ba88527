// Shared by the unit tests that hold sqlparse to libpg_query as an oracle over SQL files
// (the lexer against pg_query_scan, the parse-node tree against pg_query_parse's JSON): the
// files to read, and on demand other SQL named by an environment variable.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace dbadvise::test {

inline std::string read_sql_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `root` itself when it is a file, else every .sql file under it, sorted.
inline std::vector<std::filesystem::path> sql_files(const std::filesystem::path& root) {
    std::vector<std::filesystem::path> out;
    if (std::filesystem::is_regular_file(root)) {
        out.push_back(root);
        return out;
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().extension() == ".sql") {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// The .sql files of a ':'-separated list of files and directories (an environment
/// variable's value).
inline std::vector<std::filesystem::path> sql_files_of_list(const std::string& roots) {
    std::vector<std::filesystem::path> out;
    std::stringstream list(roots);
    std::string root;
    while (std::getline(list, root, ':')) {
        for (auto& path : sql_files(root)) {
            out.push_back(std::move(path));
        }
    }
    return out;
}

} // namespace dbadvise::test
