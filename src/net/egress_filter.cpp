#include "bbox/net/egress_filter.h"

#include <algorithm>

#include "net/dns_responder.h"
#include "net/wire.h"

namespace bbox::net {

namespace {

bool in_guest_network(const IpAddress& a) {
  return !a.v6 && (a.v4_value() & 0xffffff00) == kNetwork;
}

std::string endpoint(const IpAddress& a, uint16_t port) {
  return (a.v6 ? "[" + a.str() + "]" : a.str()) + ":" + std::to_string(port);
}

// ICMPv6 router and neighbour solicitations/advertisements and redirects
// (types 133-137), which libslirp needs to give the guest an IPv6 route.
bool is_neighbour_discovery(const ParsedFrame& f) {
  return f.ip->dst.v6 && f.icmp && f.ip->protocol == kProtoIcmp6 && f.icmp->type >= 133 &&
         f.icmp->type <= 137;
}

bool is_broadcast_or_multicast(const IpAddress& a) {
  if (a.v6) return a.bytes[0] == 0xff;
  return a.v4_value() == 0xffffffff || (a.v4_value() >> 28) == 0xe;
}

void set_v4(std::vector<uint8_t>& frame, size_t offset, uint32_t addr) {
  wire::put32(&frame[14 + offset], addr);
}

}  // namespace

EgressFilter::EgressFilter(EgressPolicy policy, AuditLog& audit, Hooks hooks)
    : rules_(std::move(policy)), audit_(audit), hooks_(std::move(hooks)) {
  host_ports_.insert(rules_.policy().host_ports.begin(), rules_.policy().host_ports.end());
  dns_ = std::make_unique<DnsResponder>(rules_, audit_, hooks_.to_guest, hooks_.to_upstream);
}

EgressFilter::~EgressFilter() = default;

bool EgressFilter::from_guest(std::vector<uint8_t>& frame, Clock::time_point now) {
  auto f = parse_frame(frame);
  if (!f) {
    audit_.malformed("frame");
    return false;
  }
  if (f->arp) return true;   // libslirp answers ARP for its own addresses only
  if (!f->ip) return false;  // other EtherTypes go nowhere
  if (f->ip->dst.v6 && !rules_.policy().allow_ipv6) return false;
  if (is_neighbour_discovery(*f)) return true;  // libslirp's IPv6 router and neighbours
  if (f->ip->fragment) {
    audit_.malformed("IP fragment");
    return false;
  }
  return from_guest_ip(*f, frame, now);
}

bool EgressFilter::from_guest_ip(const ParsedFrame& f, std::vector<uint8_t>& frame,
                                 Clock::time_point now) {
  const IpPacket& ip = *f.ip;
  if (!ip.src.v6 && ip.src.v4_value() != kGuestIp) return false;  // spoofed source
  if (!ip.dst.v6 && ip.dst.v4_value() == kResolverIp) {
    if (f.udp && f.udp->dst_port == 53) {
      dns_->on_query(f, now);
      return false;
    }
    if (f.icmp) return true;  // libslirp answers pings to its resolver address
    audit_.blocked(describe(f), "block " + describe(f) + ": DNS is served over UDP only");
    refuse(f);
    return false;
  }
  if (in_guest_network(ip.dst)) return to_gateway(f, frame);
  if (is_broadcast_or_multicast(ip.dst)) return false;  // nothing to reach; not worth a log line
  return to_outside(f, now);
}

bool EgressFilter::to_gateway(const ParsedFrame& f, std::vector<uint8_t>& frame) {
  uint32_t dst = f.ip->dst.v4_value();
  if (dst == kGatewayIp && f.icmp) return true;  // libslirp answers pings to the gateway
  if (dst == kGatewayIp && f.tcp) {
    uint16_t port = f.tcp->dst_port;
    if (service_ports_.count(port)) {
      set_v4(frame, 16, kServicesIp);  // libslirp serves bbox's services there
      fix_checksums(frame);
      return true;
    }
    if (host_ports_.count(port)) {
      if ((f.tcp->flags & kTcpSyn) && !(f.tcp->flags & kTcpAck)) {
        audit_.allowed("allow tcp " + endpoint(f.ip->dst, port) + " (host port " +
                       std::to_string(port) + ")");
      }
      return true;
    }
  }
  if (dst == (kNetwork | 0xff)) return false;  // broadcast
  std::string what = describe(f) + " (host)";
  audit_.blocked(what, "block " + what + ": not an opened host port");
  refuse(f);
  return false;
}

bool EgressFilter::to_outside(const ParsedFrame& f, Clock::time_point now) {
  Transport t = f.tcp ? Transport::kTcp : f.udp ? Transport::kUdp : Transport::kIcmp;
  if (!f.tcp && !f.udp && !f.icmp) return false;  // other protocols go nowhere
  bool new_connection = !f.tcp || ((f.tcp->flags & kTcpSyn) != 0);
  if (!new_connection) {
    // libslirp only creates a connection for a SYN; anything else reaches an
    // existing socket or is reset by libslirp, so it needs no decision here.
    return true;
  }
  uint16_t port = f.tcp ? f.tcp->dst_port : f.udp ? f.udp->dst_port : 0;
  ConnectionVerdict v = rules_.check_connection(t, f.ip->dst, port, now);
  if (v.allowed && f.tcp && !take_syn_token(now)) {
    audit_.malformed("connection flood: new connection refused");
    refuse(f);
    return false;
  }
  if (v.allowed && f.udp && !admit_udp_flow(f.udp->src_port, now)) {
    audit_.malformed("UDP flood: too many source ports in use");
    refuse(f);
    return false;
  }
  if (v.allowed) {
    if (f.tcp) audit_.allowed("allow " + describe(f) + " (" + v.reason + ")");
    return true;
  }
  audit_.blocked(describe(f), "block " + describe(f) + ": " + v.reason);
  refuse(f);
  return false;
}

bool EgressFilter::take_syn_token(Clock::time_point now) {
  std::chrono::duration<double> dt = now - syn_refilled_;
  syn_refilled_ = now;
  if (dt.count() > 0) syn_tokens_ = std::min(kSynBurst, syn_tokens_ + dt.count() * kSynPerSecond);
  if (syn_tokens_ < 1) return false;
  syn_tokens_ -= 1;
  return true;
}

bool EgressFilter::admit_udp_flow(uint16_t src_port, Clock::time_point now) {
  if (auto it = udp_flows_.find(src_port); it != udp_flows_.end()) {
    it->second = now;
    return true;
  }
  if (udp_flows_.size() >= kMaxUdpFlows) {
    std::erase_if(udp_flows_, [&](const auto& e) { return now - e.second > kUdpFlowLife; });
    if (udp_flows_.size() >= kMaxUdpFlows) return false;
  }
  udp_flows_.emplace(src_port, now);
  return true;
}

void EgressFilter::refuse(const ParsedFrame& f) {
  if (f.tcp) {
    if (!(f.tcp->flags & kTcpRst)) hooks_.to_guest(build_tcp_reset(f, kGatewayMac));
  } else if (f.udp && !f.ip->src.v6) {
    hooks_.to_guest(build_icmp_prohibited(f, kGatewayMac));
  }
}

std::string EgressFilter::describe(const ParsedFrame& f) const {
  if (f.tcp) return endpoint(f.ip->dst, f.tcp->dst_port);
  if (f.udp) return endpoint(f.ip->dst, f.udp->dst_port) + "/udp";
  return f.ip->dst.str() + " (icmp)";
}

void EgressFilter::from_slirp(std::vector<uint8_t>& frame) {
  // Replies of bbox's services come from kServicesIp; the guest dialled the gateway.
  if (frame.size() < 34 || wire::be16(&frame[12]) != kEtherIpv4) return;
  if (wire::be32(&frame[14 + 12]) != kServicesIp) return;
  set_v4(frame, 12, kGatewayIp);
  fix_checksums(frame);
}

void EgressFilter::from_upstream(Bytes datagram, Clock::time_point now, int channel) {
  dns_->on_upstream(datagram, channel, now);
}

void EgressFilter::expire(Clock::time_point now) { dns_->expire(now); }

std::optional<EgressFilter::Clock::time_point> EgressFilter::next_deadline() const {
  return dns_->next_deadline();
}

}  // namespace bbox::net
