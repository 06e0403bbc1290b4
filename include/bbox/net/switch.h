// The guest's network: a unix-socket listener QEMU's virtio-net connects to
// (-netdev stream; each Ethernet frame is a 4-byte big-endian length then the
// frame), libslirp for NAT to the host's network, and the EgressFilter in
// front of it, all on one thread of the bbox process. No root, no TAP.
//
// Start it before QEMU, pass the VM runner the guest settings below, and let
// it go out of scope after QEMU has stopped.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "bbox/common/result.h"
#include "bbox/net/audit.h"
#include "bbox/net/egress_filter.h"
#include "bbox/net/policy.h"

namespace bbox::net {

class SlirpLoop;

// For the VM runner's GuestNetwork and bbox-init's kernel command line:
// bbox.ip=10.0.2.15/24 bbox.gw=10.0.2.2 bbox.dns=10.0.2.3
inline constexpr const char* kGuestIpCidr = kGuestAddressCidr;
inline constexpr const char* kGuestGateway = kGatewayAddress;
inline constexpr const char* kGuestDns = kResolverAddress;

class NetworkSwitch {
 public:
  // Listens on `socket_path` (created 0600; must not exist yet) and starts the
  // switch thread. `log` receives the audit lines on that thread; it must be
  // safe to call from there for the switch's lifetime. The upstream resolver
  // is policy.upstream_resolver, else the first nameserver of /etc/resolv.conf.
  static Result<std::unique_ptr<NetworkSwitch>> start(const std::filesystem::path& socket_path,
                                                      EgressPolicy policy, AuditSink log);

  // Stops the thread, closes every socket and removes the listening socket.
  ~NetworkSwitch();
  NetworkSwitch(const NetworkSwitch&) = delete;
  NetworkSwitch& operator=(const NetworkSwitch&) = delete;

  // Makes a bbox service that listens on the unix socket `service_socket`
  // reachable from the guest as TCP gateway:`port` (10.0.2.2, also
  // host.bbox.internal). Each guest connection opens a new connection to
  // the socket. Nothing else of the host becomes reachable.
  Status add_host_service(uint16_t port, const std::filesystem::path& service_socket);

  // "blocked 3: evil.example (DNS), 203.0.113.9:443", or empty when nothing
  // was blocked. Thread-safe.
  std::string blocked_summary() const;

  const std::filesystem::path& socket_path() const { return socket_path_; }

 private:
  NetworkSwitch(std::filesystem::path socket_path, std::unique_ptr<AuditLog> audit,
                std::unique_ptr<SlirpLoop> loop);

  std::filesystem::path socket_path_;
  std::unique_ptr<AuditLog> audit_;  // outlives loop_, which writes to it
  std::unique_ptr<SlirpLoop> loop_;
};

}  // namespace bbox::net
