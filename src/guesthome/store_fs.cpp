#include "guesthome/store_fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "bbox/common/message.h"

namespace bbox::guesthome::detail {

Result<UniqueFd> make_dirs_beneath(int base_fd, const std::vector<std::string>& parts) {
  UniqueFd dir(::fcntl(base_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir) return errno_error("open folder", errno);
  for (const std::string& part : parts) {
    if (::mkdirat(dir.get(), part.c_str(), 0700) != 0 && errno != EEXIST) {
      return errno_error("make folder " + ui::quoted(part), errno);
    }
    // Safety: O_NOFOLLOW|O_DIRECTORY refuses a symlink where a folder should be.
    UniqueFd next(
        ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return errno_error("open folder " + ui::quoted(part), errno);
    dir = std::move(next);
  }
  return dir;
}

Result<UniqueFd> make_private_dir(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path missing;
  for (std::filesystem::path p = path; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (std::filesystem::exists(std::filesystem::symlink_status(p, ec))) break;
    missing = p;
  }
  if (!missing.empty()) {
    std::filesystem::create_directories(path, ec);
    if (ec) return Error{"make folder " + ui::quoted(path.string()) + ": " + ec.message()};
    for (std::filesystem::path p = path;; p = p.parent_path()) {
      ::chmod(p.c_str(), 0700);
      if (p == missing) break;
    }
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open folder " + ui::quoted(path.string()), errno);
  return fd;
}

Status write_new_file(int dir_fd, const std::string& name, const std::string& data) {
  // Safety: O_EXCL|O_NOFOLLOW: a new file only, never through a symlink.
  UniqueFd fd(
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno_error("create " + ui::quoted(name), errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write " + ui::quoted(name), errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return errno_error("write " + ui::quoted(name), errno);
  return ok_status();
}

Status swap_into_place(int from_dir_fd, const std::string& from, int to_dir_fd,
                       const std::string& to) {
  // RENAME_EXCHANGE swaps both names in one step; RENAME_NOREPLACE moves into
  // a free name. Either way no reader sees a half-written tree.
  if (::renameat2(from_dir_fd, from.c_str(), to_dir_fd, to.c_str(), RENAME_EXCHANGE) == 0) {
    return ok_status();
  }
  if (errno != ENOENT) return errno_error("replace " + ui::quoted(to), errno);
  if (::renameat2(from_dir_fd, from.c_str(), to_dir_fd, to.c_str(), RENAME_NOREPLACE) != 0) {
    return errno_error("move into " + ui::quoted(to), errno);
  }
  return ok_status();
}

}  // namespace bbox::guesthome::detail
