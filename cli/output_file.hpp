// The file -o names: checked before a command does any work, and replaced all at once when the
// report is complete, so that a failed or interrupted run never leaves a truncated report.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace dbadvise::cli {

class OutputFile {
public:
    using Sink = std::function<void(std::string_view)>;

    /// Checks that the report can be written to `path` and that `path` is none of `inputs`.
    /// Throws RunError:
    ///  - k_exit_usage (2) when `path` is the same file (device and inode: through symlinks and
    ///    hard links too) as one of `inputs` ("-" in `inputs` stands for standard input when
    ///    `stdin_fd` is not -1);
    ///  - k_exit_runtime (3) when it cannot be written: its directory is missing, not a
    ///    directory or not writable, it is a directory, or it exists and is not writable.
    /// Messages are `cannot write '<path>': <reason>` and `refusing to write <what> to
    /// '<path>': it is also an input ...` (`what`: "the report", "the baseline", ...).
    static OutputFile check(const std::string& path, std::span<const std::string> inputs,
                            int stdin_fd, std::string_view what = "the report");

    /// Writes what `render` hands its sink to a new temporary file in the target's directory
    /// (mode and owner copied from the file it replaces), flushes it to disk and renames it
    /// over the target; a symlink is followed, so the file it points to is replaced. An
    /// existing device, FIFO or socket (/dev/null, /dev/stdout) is written in place. On
    /// failure, and when SIGINT, SIGTERM or SIGHUP arrives while writing, the temporary file
    /// is removed and the target is left as it was. Throws RunError (k_exit_runtime) naming
    /// the path and the system's reason; exceptions from `render` pass through after the
    /// clean-up.
    void write(const std::function<void(const Sink&)>& render) const;

    const std::string& path() const { return m_path; }

private:
    OutputFile(std::string path, std::string target, bool in_place)
        : m_path(std::move(path)), m_target(std::move(target)), m_in_place(in_place) {}

    void write_in_place(const std::function<void(const Sink&)>& render) const;
    void replace(const std::function<void(const Sink&)>& render) const;

    std::string m_path;   // as the user wrote it, for messages
    std::string m_target; // symlinks resolved: the file that is replaced
    bool m_in_place;      // an existing device, FIFO or socket
};

} // namespace dbadvise::cli
