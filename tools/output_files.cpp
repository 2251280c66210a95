#include "output_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "polarkit/error.hpp"

namespace polarkit::cli {
namespace {

namespace fs = std::filesystem;

std::string temporary_name(const std::string& path, std::size_t index) {
  return path + ".polarkit-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(index);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void remove_quietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

void check_distinct(const std::vector<std::pair<std::string, std::string>>& option_and_path) {
  // A file's identity: its absolute, normalised path with the directory resolved (symbolic links
  // and "..": "X.npy", "./X.npy" and "d/../X.npy" are one file), and for files that exist
  // already, the file itself (hard links, a symbolic link to it).
  const auto identity = [](const std::string& path) {
    std::error_code ec;
    fs::path p = fs::absolute(fs::path(path), ec).lexically_normal();
    const fs::path dir = fs::canonical(p.parent_path(), ec);
    if (!ec) p = dir / p.filename();
    return p;
  };
  const auto same_file = [&](const std::string& a, const std::string& b) {
    if (a == b || identity(a) == identity(b)) return true;
    std::error_code ec;
    return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec) && !ec;
  };
  for (std::size_t i = 0; i < option_and_path.size(); ++i) {
    for (std::size_t j = i + 1; j < option_and_path.size(); ++j) {
      const auto& [option_i, path_i] = option_and_path[i];
      const auto& [option_j, path_j] = option_and_path[j];
      if (path_i.empty() || path_j.empty()) continue;
      if (same_file(path_i, path_j)) {
        throw Error(ErrorCode::invalid_argument,
                    option_i + " and " + option_j + " name the same file '" + path_i + "'");
      }
    }
  }
}

void write_all_or_nothing(const std::vector<PendingFile>& files) {
  std::vector<std::string> written;
  try {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string temporary = temporary_name(files[i].path, i);
      try {
        files[i].write(temporary);
      } catch (const Error& e) {
        std::string message = e.what();
        replace_all(message, temporary, files[i].path);
        throw Error(e.code(), message);
      }
      written.push_back(temporary);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::error_code ec;
      fs::rename(written[i], files[i].path, ec);
      if (ec) {
        throw Error(ErrorCode::io_error,
                    files[i].path + ": cannot move the written file into place (" + ec.message() + ")");
      }
    }
  } catch (...) {
    for (const std::string& temporary : written) remove_quietly(temporary);
    throw;
  }
}

void check_destination(const std::string& option, const std::string& path) {
  if (path.empty()) throw Error(ErrorCode::invalid_argument, option + ": empty file name");
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    throw Error(ErrorCode::io_error, path + ": is a directory (" + option + " needs a file name)");
  }
  const fs::path dir = p.parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    throw Error(ErrorCode::io_error,
                path + ": the directory '" + dir.string() + "' does not exist (" + option + ")");
  }
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorCode::io_error, path + ": cannot create file");
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    std::error_code ignored;
    fs::remove(path, ignored);
    throw Error(ErrorCode::io_error, path + ": cannot write file");
  }
}

}  // namespace polarkit::cli
