#include "guesthome/host_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

namespace bbox::guesthome::detail {
namespace {

Found classify(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return Found::kFile;
  if (S_ISDIR(st.st_mode)) return Found::kDirectory;
  if (S_ISLNK(st.st_mode)) return Found::kSymlink;
  return Found::kOther;
}

// Opens one name in `dir_fd` as what lstat says it is. A symlink, or an
// entry swapped for one since the lstat, is never opened: O_NOFOLLOW makes
// the open fail with ELOOP instead.
OpenedPath open_entry(int dir_fd, const char* name) {
  OpenedPath r;
  if (::fstatat(dir_fd, name, &r.st, AT_SYMLINK_NOFOLLOW) != 0) {
    r.found = errno == ENOENT || errno == ENOTDIR ? Found::kMissing : Found::kError;
    r.error = errno_error(std::string("stat ") + name, errno).message;
    return r;
  }
  r.found = classify(r.st);
  if (r.found != Found::kFile && r.found != Found::kDirectory) return r;
  // Safety: O_NOFOLLOW refuses a symlink put here after the fstatat;
  // O_NONBLOCK keeps a FIFO swapped in from blocking the open.
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  if (r.found == Found::kDirectory) flags |= O_DIRECTORY;
  r.fd = UniqueFd(::openat(dir_fd, name, flags));
  if (!r.fd) {
    r.found = errno == ELOOP ? Found::kSymlink : Found::kError;
    r.error = errno_error(std::string("open ") + name, errno).message;
    return r;
  }
  struct stat now {};
  if (::fstat(r.fd.get(), &now) != 0 || classify(now) != r.found) {
    r.fd.reset();
    r.found = Found::kOther;  // swapped for something else between the two calls
  }
  r.st = now;
  return r;
}

std::string fmt_size_error(uint64_t size, uint64_t max) {
  return fmt::format("{} is more than the limit of {}", human_size(size), human_size(max));
}

// Folders deeper than this are not entered, whatever the caller's limit.
constexpr int kMaxWalkDepth = 64;

// A folder with more entries than this is read only this far.
constexpr size_t kMaxNamesPerFolder = 100000;

Result<std::vector<std::string>> folder_names(int dir_fd) {
  // fdopendir takes ownership of the fd it is given: hand it a duplicate.
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return errno_error("read folder", errno);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dup), ::closedir);
  if (!dir) {
    int err = errno;
    ::close(dup);
    return errno_error("read folder", err);
  }
  ::rewinddir(dir.get());
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (names.size() >= kMaxNamesPerFolder) break;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status walk_at(int dir_fd, const std::string& prefix, int depth,
               const std::function<Visit(const WalkEntry&)>& visit, bool* stopped) {
  if (depth > kMaxWalkDepth) return ok_status();  // one open fd per level: bounded
  auto names = folder_names(dir_fd);
  if (!names) return names.error().wrap(prefix.empty() ? "." : prefix);
  for (const std::string& name : *names) {
    OpenedPath o = open_entry(dir_fd, name.c_str());
    if (o.found == Found::kMissing) continue;  // gone since the listing
    WalkEntry e{prefix.empty() ? name : prefix + "/" + name, o.found, o.fd.get(), o.st, depth};
    if (o.found == Found::kError) return Error{o.error};
    Visit v = visit(e);
    if (v == Visit::kStop) {
      *stopped = true;
      return ok_status();
    }
    if (o.found != Found::kDirectory || v == Visit::kSkip) continue;
    if (auto st = walk_at(o.fd.get(), e.relative, depth + 1, visit, stopped); !st) return st;
    if (*stopped) return ok_status();
  }
  return ok_status();
}

}  // namespace

std::string human_size(uint64_t bytes) {
  if (bytes >= (1u << 30))
    return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1u << 30));
  if (bytes >= (1u << 20))
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1u << 20));
  if (bytes >= (1u << 10))
    return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1u << 10));
  return fmt::format("{} B", bytes);
}

Status walk_tree(int dir_fd, const std::function<Visit(const WalkEntry&)>& visit) {
  bool stopped = false;
  return walk_at(dir_fd, "", 0, visit, &stopped);
}

bool plain_components(const std::string& path, std::vector<std::string>* parts) {
  parts->clear();
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    bool trailing = part.empty() && end == path.size() && !parts->empty();
    if (!trailing) {
      if (part.empty() || part == "." || part == "..") return false;
      parts->push_back(part);
    }
    start = end + 1;
  }
  return !parts->empty();
}

OpenedPath open_beneath(int base_fd, const std::string& relative) {
  std::vector<std::string> parts;
  OpenedPath r;
  if (!plain_components(relative, &parts)) {
    r.error = "open " + relative + ": not a plain relative path";
    return r;
  }
  UniqueFd dir;
  int at = base_fd;
  for (size_t i = 0; i < parts.size(); ++i) {
    r = open_entry(at, parts[i].c_str());
    bool last = i + 1 == parts.size();
    if (last || r.found != Found::kDirectory) {
      if (!last && r.found == Found::kFile) r.found = Found::kMissing;
      return r;
    }
    dir = std::move(r.fd);
    at = dir.get();
  }
  return r;
}

Result<std::string> read_bounded(int fd, uint64_t max) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("stat", errno);
  if (static_cast<uint64_t>(st.st_size) > max) {
    return Error{fmt_size_error(static_cast<uint64_t>(st.st_size), max)};
  }
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", errno);
    if (n == 0) return data;
    if (data.size() + static_cast<size_t>(n) > max) {
      return Error{fmt_size_error(data.size() + static_cast<size_t>(n), max)};
    }
    data.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace bbox::guesthome::detail
