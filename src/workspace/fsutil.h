// File-system helpers of the workspace engine: opening paths beneath a root
// without ever following a symlink, reading links, parallel loops.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::workspace {

// Opens `rel` (relative, '/'-separated) beneath the directory `root` with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): no component, the last
// included, may be a symlink, and ".." cannot climb out. Falls back to a
// component walk with O_NOFOLLOW where openat2 is missing.
// Returns the fd, or -errno (ELOOP when a symlink was met).
int open_beneath(int root, std::string_view rel, int flags, mode_t mode = 0);

// Opens the parent directory of `rel` beneath root (O_DIRECTORY, no
// symlinks); `leaf` gets the last component. "" as rel is refused.
int open_parent_beneath(int root, std::string_view rel, std::string* leaf);

// readlinkat() into a string.
Result<std::string> read_link_at(int dirfd, const char* name);

// True when a symlink at `link_path` (relative to the root) with `target`
// stays inside the root once resolved lexically.
bool link_target_inside(std::string_view link_path, std::string_view target);

// Runs fn(i) for i in [0, n) on up to hardware_concurrency() threads.
void parallel_for(size_t n, const std::function<void(size_t)>& fn);

std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);

// st_ctim as nanoseconds.
inline int64_t ctime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

// Joins a directory path ("" for the root) and a name.
inline std::string join_rel(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

// Writes all of buf to fd, retrying on EINTR and short writes.
bool write_all(int fd, const void* buf, size_t len);

}  // namespace bbox::workspace
