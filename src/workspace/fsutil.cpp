#include "workspace/fsutil.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

namespace bbox::workspace {
namespace {

std::atomic<bool> g_no_openat2{false};

// The O_NOFOLLOW walk used where openat2 is not available.
int open_by_walk(int root, std::string_view rel, int flags, mode_t mode) {
  // Safety: every intermediate component is opened with O_NOFOLLOW |
  // O_DIRECTORY relative to the previous one, so a symlink anywhere fails with
  // ELOOP/ENOTDIR; ".." is refused outright, so the walk cannot climb out.
  UniqueFd dir(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (!dir) return -errno;
  size_t start = 0;
  while (true) {
    size_t slash = rel.find('/', start);
    std::string comp(rel.substr(start, slash == std::string_view::npos ? rel.npos : slash - start));
    if (comp == "..") return -EXDEV;
    if (slash == std::string_view::npos) {
      int fd = ::openat(dir.get(), comp.empty() ? "." : comp.c_str(),
                        flags | O_NOFOLLOW | O_CLOEXEC, mode);
      return fd >= 0 ? fd : -errno;
    }
    if (!comp.empty() && comp != ".") {
      int next = ::openat(dir.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) return -errno;
      dir.reset(next);
    }
    start = slash + 1;
  }
}

}  // namespace

int open_beneath(int root, std::string_view rel, int flags, mode_t mode) {
  if (!rel.empty() && rel[0] == '/') return -EXDEV;
  if (!g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    std::string path = rel.empty() ? std::string(".") : std::string(rel);
    // Safety: openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS resolves the
    // whole path in the kernel, refusing symlinks in every component and any
    // escape from `root`; there is no window between check and use.
    long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS) return -errno;
    g_no_openat2.store(true);
  }
  return open_by_walk(root, rel, flags, mode);
}

int open_parent_beneath(int root, std::string_view rel, std::string* leaf) {
  if (rel.empty()) return -EINVAL;
  size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) {
    *leaf = std::string(rel);
    int fd = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
    return fd >= 0 ? fd : -errno;
  }
  *leaf = std::string(rel.substr(slash + 1));
  return open_beneath(root, rel.substr(0, slash), O_RDONLY | O_DIRECTORY);
}

Result<std::string> read_link_at(int dirfd, const char* name) {
  std::string buf(256, '\0');
  while (true) {
    ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
    if (n < 0) return errno_error("read link", errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (buf.size() >= 65536) return Error{"read link: target too long"};
    buf.resize(buf.size() * 4);
  }
}

bool link_target_inside(std::string_view link_path, std::string_view target) {
  if (target.empty() || target[0] == '/') return false;
  std::vector<std::string_view> parts;
  size_t slash = link_path.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? "" : link_path.substr(0, slash);
  auto push = [&parts](std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      std::string_view comp = path.substr(start, end - start);
      if (comp == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
      } else if (!comp.empty() && comp != ".") {
        parts.push_back(comp);
      }
      start = end + 1;
    }
    return true;
  };
  if (!push(dir)) return false;
  return push(target);
}

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& th : pool) th.join();
}

std::string hex_encode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string hex_decode(std::string_view hex) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return 0;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(val(hex[i]) * 16 + val(hex[i + 1]));
  }
  return out;
}

bool write_all(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace bbox::workspace
