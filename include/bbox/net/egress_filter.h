// The filter every guest frame passes before libslirp sees it. It answers
// DNS for the virtual resolver itself, refuses connections the policy does
// not allow (TCP with a RST, UDP with ICMP "prohibited"), and maps bbox's own
// host services onto the gateway address. No sockets and no threads: the
// switch (or a test) hands it frames and the time, and hooks carry its output.
// Not thread-safe; the switch calls it from its event-loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "bbox/net/audit.h"
#include "bbox/net/packet.h"
#include "bbox/net/policy.h"

namespace bbox::net {

// The guest network, also written on the kernel command line by the VM runner.
inline constexpr const char* kGuestAddressCidr = "10.0.2.15/24";
inline constexpr const char* kGatewayAddress = "10.0.2.2";
inline constexpr const char* kResolverAddress = "10.0.2.3";
inline constexpr uint32_t kNetwork = 0x0a000200;     // 10.0.2.0/24
inline constexpr uint32_t kGuestIp = 0x0a00020f;     // 10.0.2.15
inline constexpr uint32_t kGatewayIp = 0x0a000202;   // 10.0.2.2
inline constexpr uint32_t kResolverIp = 0x0a000203;  // 10.0.2.3
inline constexpr uint32_t kServicesIp = 0x0a000204;  // internal: slirp's guestfwd address
inline constexpr const char* kHostName = "host.bbox.internal";
// The largest MTU the switch carries. A guest may use it (QEMU:
// -device virtio-net-device,...,host_mtu=65520) for fewer, larger frames;
// bench/net measures a TAP guest at both sizes. Guests at 1500 work unchanged.
inline constexpr int kGuestMtu = 65520;
inline constexpr Mac kGatewayMac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
inline constexpr Mac kResolverMac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x03};

class DnsResponder;

class EgressFilter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Hooks {
    std::function<void(std::vector<uint8_t> frame)> to_guest;
    // Sends a DNS query to the host resolver; returns the channel (socket)
    // it went out on, whose answers alone can match it.
    std::function<int(Bytes datagram)> to_upstream;
  };

  EgressFilter(EgressPolicy policy, AuditLog& audit, Hooks hooks);
  ~EgressFilter();

  // A frame from the guest. True: hand `frame` (perhaps rewritten) to
  // libslirp. False: the filter dropped it or answered it itself.
  bool from_guest(std::vector<uint8_t>& frame, Clock::time_point now);
  // A frame libslirp sends to the guest; rewrites host-service replies so
  // they come from the gateway.
  void from_slirp(std::vector<uint8_t>& frame);
  // A datagram from the host resolver.
  void from_upstream(Bytes datagram, Clock::time_point now, int channel = 0);
  // Answers queries the host resolver did not answer in time (SERVFAIL).
  void expire(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;

  // TCP to the gateway on `port` reaches a bbox service that libslirp serves
  // at kServicesIp:port.
  void add_service_port(uint16_t port) { service_ports_.insert(port); }
  EgressRules& rules() { return rules_; }

 private:
  bool from_guest_ip(const ParsedFrame& f, std::vector<uint8_t>& frame, Clock::time_point now);
  bool to_gateway(const ParsedFrame& f, std::vector<uint8_t>& frame);
  bool to_outside(const ParsedFrame& f, Clock::time_point now);
  void refuse(const ParsedFrame& f);
  std::string describe(const ParsedFrame& f) const;

  EgressRules rules_;
  AuditLog& audit_;
  Hooks hooks_;
  std::set<uint16_t> service_ports_;
  std::set<uint16_t> host_ports_;
  std::unique_ptr<DnsResponder> dns_;
  // New TCP connections libslirp may open per second (token bucket), so a
  // guest flooding SYNs cannot exhaust bbox's file descriptors.
  double syn_tokens_ = kSynBurst;
  Clock::time_point syn_refilled_{};
  // Guest UDP source ports seen lately: libslirp keeps a host socket for
  // each for kUdpFlowLife, so their number is capped too.
  std::map<uint16_t, Clock::time_point> udp_flows_;

 public:
  static constexpr double kSynPerSecond = 200;
  static constexpr double kSynBurst = 1000;
  static constexpr size_t kMaxUdpFlows = 256;
  static constexpr std::chrono::seconds kUdpFlowLife{240};  // libslirp's UDP socket expiry

 private:
  bool take_syn_token(Clock::time_point now);
  bool admit_udp_flow(uint16_t src_port, Clock::time_point now);
};

}  // namespace bbox::net
