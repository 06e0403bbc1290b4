#include "vm/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bbox::vm {
namespace {

Result<sockaddr_un> address_of(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& s = path.native();
  if (s.size() >= sizeof(addr.sun_path)) {
    return Error{"use socket '" + s + "': path longer than " +
                 std::to_string(sizeof(addr.sun_path) - 1) + " bytes"};
  }
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  return addr;
}

}  // namespace

Result<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode) {
  auto addr = address_of(path);
  if (!addr) return addr.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("create socket", errno);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    return errno_error("bind '" + path.string() + "'", errno);
  }
  // The session directory is private to the user, so nobody can reach the
  // socket between bind and chmod; the mode narrows it further.
  if (::chmod(path.c_str(), mode) != 0) return errno_error("chmod '" + path.string() + "'", errno);
  if (::listen(fd.get(), 4) != 0) return errno_error("listen on '" + path.string() + "'", errno);
  return fd;
}

Result<UniqueFd> connect_unix(const std::filesystem::path& path) {
  auto addr = address_of(path);
  if (!addr) return addr.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("create socket", errno);
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return errno_error("connect to '" + path.string() + "'", errno);
  return fd;
}

Result<UniqueFd> accept_with_timeout(int listen_fd, std::chrono::milliseconds timeout) {
  pollfd p{listen_fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r < 0) return errno_error("wait for connection", errno);
  if (r == 0) return UniqueFd();
  UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd) return errno_error("accept connection", errno);
  return fd;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    if (n < 0) return errno_error("write", errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

}  // namespace bbox::vm
