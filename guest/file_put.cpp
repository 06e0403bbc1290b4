#include "file_put.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bbox::guest {
namespace {

constexpr uint32_t kKeptBits = 07777 & ~(S_ISUID | S_ISGID);

std::string cause(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Opens directory `name` in `dir` without following a symlink. On failure
// the error names a symlink as such, since that is the case that matters.
int open_dir_nofollow(int dir, const std::string& name, std::string* error) {
  int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return fd;
  int err = errno;
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    *error = "'" + name + "' is a symlink";
  } else {
    errno = err;
    *error = cause(("open '" + name + "'").c_str());
  }
  return -1;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool split_put_path(const std::string& path, std::vector<std::string>* parts) {
  std::string prefix = std::string(kPutRoot) + "/";
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  if (path.find('\0') != std::string::npos) return false;
  parts->clear();
  size_t start = prefix.size();
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    parts->push_back(std::move(part));
    start = end + 1;
  }
  return true;
}

FilePutter::~FilePutter() { discard_temporary(); }

void FilePutter::add(const proto::FileChunk& chunk) {
  if (active_ && chunk.path == path_) {
    // More data for the file in progress (directories take none).
    if (failed_ || !temp_) return;
    if (!write_all(temp_.get(), chunk.data)) fail(cause("write"));
    return;
  }
  complete();
  start(chunk);
}

void FilePutter::finish() { complete(); }

std::vector<proto::FileError> FilePutter::take_errors() { return std::move(errors_); }

void FilePutter::fail(const std::string& what) {
  if (failed_) return;
  failed_ = true;
  errors_.push_back({path_, what});
  discard_temporary();
}

void FilePutter::start(const proto::FileChunk& chunk) {
  path_ = chunk.path;
  active_ = true;
  failed_ = false;
  mode_ = chunk.mode;
  std::vector<std::string> parts;
  if (!split_put_path(chunk.path, &parts)) {
    return fail(std::string("not a plain absolute path under ") + kPutRoot);
  }
  if (!S_ISREG(chunk.mode) && !S_ISDIR(chunk.mode)) {
    return fail("not a regular file or a directory");
  }
  std::string error;
  if (!open_parent(parts, &error)) return fail(error);
  name_ = parts.back();
  if (S_ISDIR(chunk.mode)) return make_directory(name_, chunk.mode);
  begin_regular(name_, chunk.data);
}

// Walks from the root to the target's parent, one component at a time,
// never following a symlink; creates what is missing below kPutRoot.
bool FilePutter::open_parent(const std::vector<std::string>& parts, std::string* error) {
  UniqueFd dir(::dup(root_));
  for (const char* fixed : {"home", "sandbox"}) {
    dir.reset(dir ? open_dir_nofollow(dir.get(), fixed, error) : -1);
    if (!dir) return false;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    bool made = ::mkdirat(dir.get(), parts[i].c_str(), 0700) == 0;
    if (!made && errno != EEXIST) {
      *error = cause(("create '" + parts[i] + "'").c_str());
      return false;
    }
    UniqueFd next(open_dir_nofollow(dir.get(), parts[i], error));
    if (!next) return false;
    // A parent we made belongs to the sandbox user, private to it.
    if (made && (::fchown(next.get(), uid_, gid_) != 0 || ::fchmod(next.get(), 0700) != 0)) {
      *error = cause(("set the owner of '" + parts[i] + "'").c_str());
      return false;
    }
    dir = std::move(next);
  }
  parent_ = std::move(dir);
  return true;
}

void FilePutter::make_directory(const std::string& name, uint32_t mode) {
  if (::mkdirat(parent_.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(cause("create"));
  }
  std::string error;
  UniqueFd dir(open_dir_nofollow(parent_.get(), name, &error));
  if (!dir) return fail(error);
  // fchown/fchmod on the opened directory: the name cannot be swapped for a
  // symlink between the check and the change.
  if (::fchown(dir.get(), uid_, gid_) != 0) return fail(cause("chown"));
  if (::fchmod(dir.get(), mode & kKeptBits) != 0) return fail(cause("chmod"));
}

void FilePutter::begin_regular(const std::string& name, const std::string& data) {
  struct stat st {};
  if (::fstatat(parent_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return fail("it is a symlink in the guest");
    if (!S_ISREG(st.st_mode)) return fail("it exists in the guest and is not a regular file");
  }
  temp_name_ = "." + name + ".bbox-put";
  ::unlinkat(parent_.get(), temp_name_.c_str(), 0);
  // O_EXCL with O_NOFOLLOW: a fresh inode of ours, never an existing file or
  // whatever a symlink of that name points to.
  temp_.reset(::openat(parent_.get(), temp_name_.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!temp_) return fail(cause("create"));
  if (!write_all(temp_.get(), data)) fail(cause("write"));
}

void FilePutter::complete() {
  if (!active_) return;
  active_ = false;
  if (failed_ || !temp_) return;
  if (::fchown(temp_.get(), uid_, gid_) != 0) return fail(cause("chown"));
  if (::fchmod(temp_.get(), mode_ & kKeptBits) != 0) return fail(cause("chmod"));
  temp_.reset();
  // Both names are in the directory we hold open: the rename replaces the
  // entry itself (a regular file, checked at the start) and follows nothing.
  if (::renameat(parent_.get(), temp_name_.c_str(), parent_.get(), name_.c_str()) != 0) {
    return fail(cause("rename"));
  }
  temp_name_.clear();
  parent_.reset();
}

void FilePutter::discard_temporary() {
  temp_.reset();
  if (parent_ && !temp_name_.empty()) ::unlinkat(parent_.get(), temp_name_.c_str(), 0);
  temp_name_.clear();
}

}  // namespace bbox::guest
