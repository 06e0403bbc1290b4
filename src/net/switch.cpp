#include "bbox/net/switch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "bbox/common/message.h"
#include "net/slirp_loop.h"

namespace bbox::net {

namespace {

constexpr int kUpstreamSockets = 4;  // each with its own ephemeral source port

Result<UniqueFd> listen_unix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) {
    return Error{"listen on " + ui::quoted(p) + ": path too long for a unix socket"};
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("create unix socket", errno);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_error("listen on " + ui::quoted(p), errno);
  }
  // Safety: nobody can connect before listen(), so tightening the mode here
  // leaves no window in which another user could reach the guest's network.
  if (::chmod(p.c_str(), 0600) != 0 || ::listen(fd.get(), 4) != 0) {
    int err = errno;
    ::unlink(p.c_str());
    return errno_error("listen on " + ui::quoted(p), err);
  }
  return fd;
}

Result<UniqueFd> connect_resolver(const SocketAddress& resolver) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (resolver.addr.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(resolver.port);
    std::memcpy(&a->sin6_addr, resolver.addr.bytes.data(), 16);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(resolver.port);
    std::memcpy(&a->sin_addr, resolver.addr.bytes.data(), 4);
    len = sizeof *a;
  }
  UniqueFd fd(::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("create resolver socket", errno);
  // A connected UDP socket accepts datagrams from the resolver's address only.
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return errno_error("use host resolver " + resolver.addr.str(), errno);
  }
  return fd;
}

}  // namespace

NetworkSwitch::NetworkSwitch(std::filesystem::path socket_path, std::unique_ptr<AuditLog> audit,
                             std::unique_ptr<SlirpLoop> loop)
    : socket_path_(std::move(socket_path)), audit_(std::move(audit)), loop_(std::move(loop)) {}

NetworkSwitch::~NetworkSwitch() {
  loop_.reset();  // joins the thread before the audit log goes
  std::error_code ignored;
  std::filesystem::remove(socket_path_, ignored);
}

Result<std::unique_ptr<NetworkSwitch>> NetworkSwitch::start(
    const std::filesystem::path& socket_path, EgressPolicy policy, AuditSink log) {
  if (!policy.upstream_resolver) {
    auto system = read_resolv_conf();
    if (!system) return system.error().wrap("start the guest network");
    policy.upstream_resolver = *system;
  }
  std::vector<UniqueFd> upstream;
  for (int i = 0; i < kUpstreamSockets; ++i) {
    auto fd = connect_resolver(*policy.upstream_resolver);
    if (!fd) return fd.error();
    upstream.push_back(std::move(*fd));
  }
  auto listener = listen_unix(socket_path);
  if (!listener) return listener.error();

  auto audit = std::make_unique<AuditLog>(std::move(log));
  auto loop = std::make_unique<SlirpLoop>(std::move(policy), *audit, std::move(*listener),
                                          std::move(upstream));
  std::unique_ptr<NetworkSwitch> sw(
      new NetworkSwitch(socket_path, std::move(audit), std::move(loop)));
  if (auto st = sw->loop_->start(); !st) return st.error();
  return sw;
}

Status NetworkSwitch::add_host_service(uint16_t port, const std::filesystem::path& socket) {
  return loop_->add_service(port, socket.string());
}

std::string NetworkSwitch::blocked_summary() const { return audit_->blocked_summary(); }

}  // namespace bbox::net
