// Reading a config file from disk safely: bounded size, text only, and for
// the workspace file no symlinks or special files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/common/unique_fd.h"
#include "bbox/config/agent_file.h"
#include "bbox/config/file_config.h"

namespace bbox::config {
namespace {

// True when text holds no NUL byte and is valid UTF-8.
bool is_text(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

Status refuse_special(const std::string& shown, const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_error("read " + shown, errno);
  if (S_ISLNK(st.st_mode)) {
    return Error{
        fmt::format("refuse to read {}: it is a symlink; a workspace config file must "
                    "be a regular file",
                    shown)};
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{
        fmt::format("refuse to read {}: not a regular file; a workspace config file "
                    "must be a regular file",
                    shown)};
  }
  return ok_status();
}

Result<std::string> read_bounded(const std::filesystem::path& path, const std::string& shown,
                                 bool refuse_links) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the open; O_NOFOLLOW
  // closes the window between the lstat check and the open for workspace files.
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (refuse_links ? O_NOFOLLOW : 0);
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd) return errno_error("read " + shown, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("read " + shown, errno);
  if (!S_ISREG(st.st_mode)) {
    return Error{fmt::format("read {}: not a regular file: expected a YAML file", shown)};
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) {
    return Error{fmt::format("read {}: too large ({} bytes): expected at most 1 MiB of YAML", shown,
                             st.st_size)};
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + shown, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > kMaxConfigBytes) {
    return Error{fmt::format("read {}: too large: expected at most 1 MiB of YAML", shown)};
  }
  text.resize(got);
  return text;
}

}  // namespace

Result<std::string> read_config_text(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return std::string();
  std::string shown = ui::quoted(path.string());
  Result<std::string> text = read_bounded(path, shown, false);
  if (!text) return text.error();
  if (!is_text(*text)) {
    return Error{fmt::format("read {}: binary data: expected a UTF-8 YAML text file", shown)};
  }
  return text;
}

Result<FileConfig> read_config_file(const std::filesystem::path& path, bool refuse_links) {
  std::string shown = ui::quoted(path.string());
  if (refuse_links) {
    if (Status s = refuse_special(shown, path); !s) return s.error();
  }
  Result<std::string> text = read_bounded(path, shown, refuse_links);
  if (!text) return text.error();
  if (!is_text(*text)) {
    return Error{fmt::format("read {}: binary data: expected a UTF-8 YAML text file", shown)};
  }
  return parse_config_text(*text, ui::printable(path.string()));
}

}  // namespace bbox::config
