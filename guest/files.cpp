#include "files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bbox/proto/protocol.h"
#include "log.h"

namespace bbox::guest {
namespace {

constexpr size_t kChunk = 512 * 1024;  // well under proto::kMaxPayload
constexpr int kMaxDepth = 64;

void send_chunk(uint32_t channel, const std::string& rel, uint32_t mode, std::string data) {
  proto::FileChunk c{rel, mode, std::move(data)};
  send_frame(proto::Type::kFileData, channel, proto::encode(c));
}

bool send_regular(uint32_t channel, int dirfd, const char* name, const std::string& rel,
                  uint32_t mode) {
  int fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  std::string buf(kChunk, '\0');
  bool sent_any = false;
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
    send_chunk(channel, rel, mode, buf.substr(0, static_cast<size_t>(n)));
    sent_any = true;
  }
  ::close(fd);
  if (!sent_any && n == 0) send_chunk(channel, rel, mode, "");
  return n == 0;
}

// Sends one entry of `dirfd` (or the root when name is "."), recursing into
// directories through file descriptors so a swapped symlink cannot redirect us.
bool send_entry(uint32_t channel, int dirfd, const char* name, const std::string& rel, int depth,
                std::string* error) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    *error = "stat " + rel + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlinkat(dirfd, name, target, sizeof target);
    send_chunk(channel, rel, st.st_mode, std::string(target, n > 0 ? static_cast<size_t>(n) : 0));
    return true;
  }
  if (S_ISREG(st.st_mode)) {
    if (send_regular(channel, dirfd, name, rel, st.st_mode)) return true;
    *error = "read " + rel + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) return true;  // devices, fifos, sockets: skipped
  send_chunk(channel, rel, st.st_mode, "");
  if (depth >= kMaxDepth) return true;
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR* d = fd < 0 ? nullptr : ::fdopendir(fd);
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    *error = "open " + rel + ": " + std::strerror(errno);
    return false;
  }
  bool ok = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    std::string child = rel.empty() ? e->d_name : rel + "/" + e->d_name;
    if (!send_entry(channel, ::dirfd(d), e->d_name, child, depth + 1, error)) {
      ok = false;
      break;
    }
  }
  ::closedir(d);
  return ok;
}

}  // namespace

void send_files(uint32_t channel, const std::string& root) {
  std::string error;
  if (root.empty() || root[0] != '/') {
    error = "not an absolute path";
  } else {
    send_entry(channel, AT_FDCWD, root.c_str(), "", 0, &error);
  }
  send_frame(proto::Type::kFileEnd, channel, error);
}

}  // namespace bbox::guest
