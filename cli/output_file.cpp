// Writing -o FILE safely.
//
// Why a temporary file and rename(2): writing the target directly truncates it first, so a
// run that fails or is interrupted half-way (a full disk, Ctrl-C, a CI job's timeout) leaves
// a truncated report where the previous one was, and a CI step that reads it later sees
// broken JSON. rename() within one directory replaces the target atomically: readers see the
// old file or the new one. The temporary file is created with O_EXCL and mode 0666, so the
// umask applies as it would to a new report; a replaced file's mode and owner are copied.
// Renaming breaks hard links to the old report (the other names keep the old content), as
// with every tool that replaces files atomically.
//
// Why the checks come first: a report path that cannot work (a missing directory, a typo
// that names an input) should fail in a second, not after an hour of analysis.
#include "cli/output_file.hpp"

#include "cli/command.hpp"
#include "cli/run.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dbadvise::cli {

namespace {

std::string reason(int error) {
    return std::strerror(error);
}

[[noreturn]] void cannot_write(const std::string& path, const std::string& why) {
    throw RunError(fmt::format("cannot write '{}': {}", path, why), k_exit_runtime);
}

std::string directory_of(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// `path` with symlinks in its last component followed, so that the file they point to is
// replaced rather than the link. A link to a missing file resolves to that file's path.
std::string follow_links(const std::string& path) {
    std::string current = path;
    for (int hops = 0; hops < 40; ++hops) {
        struct stat info {};
        if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) {
            return current;
        }
        std::array<char, 4096> buffer{};
        const ssize_t n = ::readlink(current.c_str(), buffer.data(), buffer.size() - 1);
        if (n < 0) {
            return current;
        }
        const std::string link(buffer.data(), static_cast<std::size_t>(n));
        current = link.starts_with('/') ? link : directory_of(current) + "/" + link;
    }
    cannot_write(path, reason(ELOOP));
}

// The (device, inode) of `path`, following symlinks; false when it does not exist.
bool identity(const std::string& path, struct stat& info) {
    return ::stat(path.c_str(), &info) == 0;
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Writes all of `data` to `fd`; false with errno set on failure.
bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Signals that end the process while the temporary file exists remove it first. The handler
// may only touch what is set up before it is installed: a fixed buffer with the path.
// (Process-wide state, because signal dispositions are process-wide.)
constexpr std::array k_cleanup_signals = {SIGINT, SIGTERM, SIGHUP};
std::array<char, 4096> g_temporary_path{};
std::array<struct sigaction, k_cleanup_signals.size()> g_previous{};

extern "C" void remove_temporary_and_reraise(int signal_number) {
    ::unlink(g_temporary_path.data());
    for (std::size_t i = 0; i < k_cleanup_signals.size(); ++i) {
        if (k_cleanup_signals[i] == signal_number) {
            ::sigaction(signal_number, &g_previous[i], nullptr);
        }
    }
    ::raise(signal_number);
}

// Owns the temporary file: removes it (and restores the signal handlers) unless committed.
class TemporaryFile {
public:
    TemporaryFile(const std::string& directory, const std::string& name, const std::string& path) {
        for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
            m_path = fmt::format("{}/.{}.{}-{}.tmp", directory, name, ::getpid(), attempt);
            if (m_path.size() >= g_temporary_path.size()) {
                cannot_write(path, reason(ENAMETOOLONG));
            }
            std::copy(m_path.begin(), m_path.end(), g_temporary_path.begin());
            g_temporary_path[m_path.size()] = '\0';
            block_signals(true);
            m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            const int error = errno;
            if (m_fd >= 0) {
                install_handlers();
            }
            block_signals(false);
            if (m_fd < 0 && error != EEXIST) {
                cannot_write(path, reason(error));
            }
        }
        if (m_fd < 0) {
            cannot_write(path, reason(EEXIST));
        }
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    ~TemporaryFile() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        if (!m_committed) {
            ::unlink(m_path.c_str());
        }
        restore_handlers();
    }

    int fd() const { return m_fd; }

    /// Closes the file and renames it to `target`; errno is set when it returns false.
    bool commit(const std::string& target) {
        const int fd = m_fd;
        m_fd = -1;
        if (::close(fd) != 0) {
            return false;
        }
        if (::rename(m_path.c_str(), target.c_str()) != 0) {
            return false;
        }
        m_committed = true;
        return true;
    }

private:
    // Creating the file and installing the handlers happen with the signals blocked, so that
    // no signal finds the file without its handler.
    static void block_signals(bool block) {
        sigset_t set;
        sigemptyset(&set);
        for (const int signal_number : k_cleanup_signals) {
            sigaddset(&set, signal_number);
        }
        ::sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
    }

    // A signal the process ignores (SIGHUP under nohup) stays ignored.
    void install_handlers() {
        struct sigaction action {};
        action.sa_handler = remove_temporary_and_reraise;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < k_cleanup_signals.size(); ++i) {
            ::sigaction(k_cleanup_signals[i], nullptr, &g_previous[i]);
            if (g_previous[i].sa_handler != SIG_IGN) {
                ::sigaction(k_cleanup_signals[i], &action, nullptr);
                m_handlers[i] = true;
            }
        }
    }

    void restore_handlers() {
        for (std::size_t i = 0; i < k_cleanup_signals.size(); ++i) {
            if (m_handlers[i]) {
                ::sigaction(k_cleanup_signals[i], &g_previous[i], nullptr);
                m_handlers[i] = false;
            }
        }
    }

    std::string m_path;
    int m_fd = -1;
    bool m_committed = false;
    std::array<bool, k_cleanup_signals.size()> m_handlers{};
};

} // namespace

OutputFile OutputFile::check(const std::string& path, std::span<const std::string> inputs,
                             int stdin_fd, std::string_view what) {
    if (path.empty()) {
        cannot_write(path, reason(ENOENT));
    }
    const std::string target = follow_links(path);
    struct stat info {};
    if (::stat(target.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) {
            cannot_write(path, reason(EISDIR));
        }
        if (::access(target.c_str(), W_OK) != 0) {
            cannot_write(path, reason(errno));
        }
        if (!S_ISREG(info.st_mode)) {
            // /dev/null, /dev/stdout, a FIFO: written in place. A terminal may well be an
            // input and the output at once, so no identity check.
            return OutputFile(path, target, true);
        }
        for (const std::string& input : inputs) {
            struct stat other {};
            const bool exists = input == "-"
                                    ? stdin_fd >= 0 && ::fstat(stdin_fd, &other) == 0
                                    : identity(input, other);
            if (exists && same_file(info, other)) {
                throw RunError(
                    fmt::format("refusing to write {} to '{}': it is also an input{}", what,
                                path,
                                input == path ? std::string()
                                              : fmt::format(" ('{}' is the same file)", input)),
                    k_exit_usage);
            }
        }
    } else if (errno != ENOENT) {
        cannot_write(path, reason(errno));
    }
    const std::string directory = directory_of(target);
    struct stat dir {};
    if (::stat(directory.c_str(), &dir) != 0) {
        cannot_write(path, reason(errno));
    }
    if (!S_ISDIR(dir.st_mode)) {
        cannot_write(path, reason(ENOTDIR));
    }
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
        cannot_write(path, fmt::format("{} (the report is written to a temporary file in '{}' "
                                       "and renamed)",
                                       reason(errno), directory));
    }
    return OutputFile(path, target, false);
}

void OutputFile::write(const std::function<void(const Sink&)>& render) const {
    if (m_in_place) {
        write_in_place(render);
    } else {
        replace(render);
    }
}

void OutputFile::write_in_place(const std::function<void(const Sink&)>& render) const {
    const int fd = ::open(m_target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        cannot_write(m_path, reason(errno));
    }
    int error = 0;
    try {
        render([&](std::string_view piece) {
            if (error == 0 && !write_all(fd, piece)) {
                error = errno;
            }
        });
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0 && error == 0) {
        error = errno;
    }
    if (error != 0) {
        cannot_write(m_path, reason(error));
    }
}

void OutputFile::replace(const std::function<void(const Sink&)>& render) const {
    TemporaryFile temporary(directory_of(m_target), base_name(m_target), m_path);
    struct stat existing {};
    if (::stat(m_target.c_str(), &existing) == 0) {
        // Keep the replaced report's permissions and, where allowed, its owner.
        ::fchmod(temporary.fd(), existing.st_mode & 07777);
        if (::fchown(temporary.fd(), existing.st_uid, existing.st_gid) != 0) {
            // Only root may give a file away; the new report then belongs to the caller.
        }
    }
    int error = 0;
    render([&](std::string_view piece) {
        if (error == 0 && !write_all(temporary.fd(), piece)) {
            error = errno;
        }
    });
    // fsync before rename: without it a crash shortly after could leave an empty file under
    // the target's name on file systems that delay allocation.
    if (error == 0 && ::fsync(temporary.fd()) != 0 && errno != EINVAL) {
        error = errno;
    }
    if (error == 0 && !temporary.commit(m_target)) {
        error = errno;
    }
    if (error != 0) {
        cannot_write(m_path, reason(error));
    }
}

} // namespace dbadvise::cli
