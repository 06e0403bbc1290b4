#include "image/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace bbox::image {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

Result<std::vector<std::string>> list_dir(int dirfd) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup < 0 ? nullptr : ::fdopendir(dup);  // owns dup from here
  if (d == nullptr) return errno_error("list directory", errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

}  // namespace

Result<std::vector<std::string>> split_entry_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return Error{"the path holds a NUL byte"};
  if (!path.empty() && path.front() == '/') return Error{"the path is absolute"};
  std::vector<std::string> comps;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c == "..") return Error{"the path climbs out with '..'"};
    if (!c.empty() && c != ".") comps.emplace_back(c);
    i = j + 1;
  }
  return comps;
}

Result<UniqueFd> open_parent(int root_fd, const std::vector<std::string>& comps) {
  UniqueFd cur(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!cur) return errno_error("open the root", errno);
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    const char* c = comps[i].c_str();
    // Safety: O_NOFOLLOW|O_DIRECTORY opens only a real directory, so a
    // symlink planted earlier cannot redirect the walk outside the root.
    UniqueFd next(::openat(cur.get(), c, kDirFlags));
    if (!next && errno == ENOENT) {
      if (::mkdirat(cur.get(), c, 0755) != 0 && errno != EEXIST) {
        return errno_error("create directory '" + comps[i] + "'", errno);
      }
      next = UniqueFd(::openat(cur.get(), c, kDirFlags));
    }
    if (!next) {
      struct stat st;
      if (::fstatat(cur.get(), c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return Error{"its parent '" + comps[i] + "' is a symbolic link"};
      }
      if (errno == ENOTDIR) return Error{"its parent '" + comps[i] + "' is not a directory"};
      return errno_error("open directory '" + comps[i] + "'", errno);
    }
    cur = std::move(next);
  }
  return cur;
}

Status remove_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok_status();
    return errno_error("stat '" + name + "'", errno);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(::openat(dirfd, name.c_str(), kDirFlags));
    if (!sub) return errno_error("open '" + name + "'", errno);
    if (Status s = empty_dir_at(sub.get(), [](const std::string&) { return false; }); !s.ok()) {
      return s;
    }
  }
  // Safety: unlinkat removes the entry itself; it never follows a symlink.
  if (::unlinkat(dirfd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
    return errno_error("remove '" + name + "'", errno);
  }
  return ok_status();
}

Status empty_dir_at(int dirfd, const std::function<bool(const std::string&)>& keep) {
  auto names = list_dir(dirfd);
  if (!names) return names.error();
  for (const auto& n : *names) {
    if (keep(n)) continue;
    if (Status s = remove_at(dirfd, n); !s.ok()) return s;
  }
  return ok_status();
}

}  // namespace bbox::image
