// output_files.hpp — writing several output files all or nothing.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace polarkit::cli {

/// A file to be written: write(p) writes the content to the path p (it may throw).
struct PendingFile {
  std::string path;
  std::function<void(const std::string&)> write;
};

/// Throws Error(invalid_argument) when two of the paths name the same file.
void check_distinct(const std::vector<std::pair<std::string, std::string>>& option_and_path);

/// Writes every file to a temporary name beside its destination, then renames them all into
/// place. When a write fails the temporaries are removed and the error is rethrown (naming the
/// destination path, not the temporary): no destination is created or changed.
void write_all_or_nothing(const std::vector<PendingFile>& files);

}  // namespace polarkit::cli

namespace polarkit::cli {

/// Throws Error(io_error) when path cannot be an output file: its directory does not exist or
/// it names a directory. Called before long work so that it does not fail at the very end.
void check_destination(const std::string& option, const std::string& path);

/// Writes text to path (used through write_all_or_nothing). Throws Error(io_error).
void write_text_file(const std::string& path, const std::string& text);

}  // namespace polarkit::cli
