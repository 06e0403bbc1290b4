// Replacing a config file atomically: readers see the old file or the new
// one, never a half-written one, and a failure leaves the old file as it was.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/common/unique_fd.h"
#include "bbox/config/agent_file.h"

namespace bbox::config {
namespace {

namespace fs = std::filesystem;

// The file a write to `path` must replace: the symlink's target, so a config
// kept in a dotfiles repository stays linked.
Result<fs::path> write_target(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(path, ec)) return path;
  fs::path target = fs::canonical(path, ec);
  if (ec) return Error{fmt::format("follow {}: {}", ui::quoted(path.string()), ec.message())};
  return target;
}

Status write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write", errno);
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

// Removes the temporary file unless it was renamed into place.
struct TempFile {
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (!keep) ::unlink(path.c_str());
  }
};

}  // namespace

Result<UniqueFd> lock_config_for_edit(const fs::path& path) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return Error{fmt::format("create {}: {}", ui::quoted(dir.string()), ec.message())};
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open " + ui::quoted(dir.string()), errno);
  // The lock is on the folder, not the file: the write renames a new file
  // over the old one, so a lock on the old inode would guard nothing.
  int r;
  do {
    r = ::flock(fd.get(), LOCK_EX);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return errno_error("lock " + ui::quoted(dir.string()), errno);
  return fd;
}

Status write_file_atomically(const fs::path& path, const std::string& text) {
  std::string shown = ui::quoted(path.string());
  Result<fs::path> target = write_target(path);
  if (!target) return target.error();
  fs::path dir = target->parent_path().empty() ? fs::path(".") : target->parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return Error{
          fmt::format("write {}: create {}: {}", shown, ui::quoted(dir.string()), ec.message())};
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  struct stat old {};
  mode_t mode = ::stat(target->c_str(), &old) == 0 ? (old.st_mode & 07777) : 0600;

  // The temporary file lives beside the target, so rename() stays within one
  // file system and is atomic; mkostemp creates it with O_EXCL (no following
  // a planted symlink) and mode 0600 until fchmod gives the old mode.
  TempFile tmp{(dir / ("." + target->filename().string() + ".XXXXXX")).string()};
  UniqueFd fd(::mkostemp(tmp.path.data(), O_CLOEXEC));
  if (!fd) {
    tmp.keep = true;  // nothing was created
    return errno_error(
        fmt::format("write {}: create a temporary file in {}", shown, ui::quoted(dir.string())),
        errno);
  }
  if (Status s = write_all(fd.get(), text); !s) return s.error().wrap(shown);
  if (::fchmod(fd.get(), mode) != 0) return errno_error("write " + shown + ": chmod", errno);
  if (::fsync(fd.get()) != 0) return errno_error("write " + shown + ": fsync", errno);
  fd.reset();
  if (::rename(tmp.path.c_str(), target->c_str()) != 0) {
    return errno_error("write " + shown + ": rename", errno);
  }
  tmp.keep = true;
  UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd) ::fsync(dirfd.get());  // the rename itself reaches the disk
  return ok_status();
}

}  // namespace bbox::config
