#include "agent_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"

namespace bbox::guest {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

std::string cause(const std::string& what) { return what + ": " + std::strerror(errno); }

// Makes `dir` (one level below an existing directory) a directory private to
// uid:gid, refusing a symlink in its place.
bool private_dir(const std::string& dir, uid_t uid, gid_t gid, std::string* error) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = cause("create " + dir);
    return false;
  }
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  // On the opened directory, so the name cannot be swapped in between.
  if (!fd || ::fchown(fd.get(), uid, gid) != 0 || ::fchmod(fd.get(), 0700) != 0) {
    *error = cause("prepare " + dir);
    return false;
  }
  return true;
}

}  // namespace

bool AgentSocket::listen(const std::string& path, uid_t uid, gid_t gid, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t slash = path.rfind('/');
  if (path.size() >= sizeof addr.sun_path || slash == std::string::npos || slash == 0) {
    *error = "bad agent socket path " + path;
    return false;
  }
  if (!private_dir(path.substr(0, slash), uid, gid, error)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    *error = cause("create a socket");
    return false;
  }
  ::unlink(path.c_str());
  // The socket file is created 0600 (umask), so it is never open to others;
  // the directory is private to the sandbox user anyway.
  mode_t old = ::umask(0177);
  int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  // lchown: the socket we just bound, in a directory only root and the
  // sandbox user (who runs nothing yet) can change.
  if (bound != 0 || ::lchown(path.c_str(), uid, gid) != 0 || ::listen(fd.get(), 16) != 0) {
    *error = cause("listen on " + path);
    return false;
  }
  path_ = path;
  listener_ = std::move(fd);
  return true;
}

void AgentSocket::add_poll_fds(std::vector<pollfd>& fds) {
  fds.push_back({listener_.get(), POLLIN, 0});
  polled_.clear();
  for (auto& [channel, s] : streams_) {
    short events =
        static_cast<short>((s.host_closed ? 0 : POLLIN) | (s.pending.empty() ? 0 : POLLOUT));
    fds.push_back({s.fd.get(), events, 0});
    polled_.push_back(channel);
  }
}

void AgentSocket::handle(const std::vector<pollfd>& fds, size_t first) {
  for (size_t i = 0; i < polled_.size() && first + 1 + i < fds.size(); ++i) {
    short rev = fds[first + 1 + i].revents;
    auto it = streams_.find(polled_[i]);
    if (rev == 0 || it == streams_.end()) continue;
    Stream& s = it->second;
    if (rev & POLLOUT) write_client(s);
    if (s.host_closed && s.pending.empty()) {
      close_stream(polled_[i], false);
    } else if (rev & (POLLIN | POLLHUP | POLLERR)) {
      read_client(polled_[i], s);
    }
  }
  polled_.clear();
  if (fds[first].revents & POLLIN) accept_client();
}

void AgentSocket::accept_client() {
  UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd) return;
  if (streams_.size() >= kMaxStreams) {
    if (!refused_any_) {
      log("ssh agent socket: %zu connections are open already; refusing more", kMaxStreams);
    }
    refused_any_ = true;  // logged once: the console is a file on the host
    return;               // closing it tells the client
  }
  uint32_t channel = next_channel_++;
  if (next_channel_ == 0) next_channel_ = proto::kFirstGuestChannel;  // 2^31 later
  streams_[channel].fd = std::move(fd);
  send_frame(proto::Type::kStreamOpen, channel, "");
}

void AgentSocket::read_client(uint32_t channel, Stream& s) {
  char buf[kReadChunk];
  ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
  if (n > 0) {
    send_frame(proto::Type::kStreamData, channel, std::string_view(buf, static_cast<size_t>(n)));
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  close_stream(channel, !s.host_closed);  // the client went away
}

void AgentSocket::write_client(Stream& s) {
  while (!s.pending.empty()) {
    ssize_t n = ::send(s.fd.get(), s.pending.data(), s.pending.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      s.pending.clear();  // the client is gone; its read side tells us
      break;
    }
    s.pending.erase(0, static_cast<size_t>(n));
  }
}

bool AgentSocket::from_host(const proto::Frame& f) {
  if (f.type != proto::Type::kStreamData && f.type != proto::Type::kStreamClose) return false;
  auto it = streams_.find(f.channel);
  if (it == streams_.end()) return true;  // closed here meanwhile
  Stream& s = it->second;
  if (f.type == proto::Type::kStreamClose) {
    s.host_closed = true;
    write_client(s);
    if (s.pending.empty()) close_stream(f.channel, false);
    return true;
  }
  if (s.pending.size() + f.payload.size() > kMaxPending) {
    close_stream(f.channel, true);
    return true;
  }
  s.pending += f.payload;
  write_client(s);
  return true;
}

void AgentSocket::close_stream(uint32_t channel, bool tell_host) {
  streams_.erase(channel);
  if (tell_host) send_frame(proto::Type::kStreamClose, channel, "");
}

}  // namespace bbox::guest
