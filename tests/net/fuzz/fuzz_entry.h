// What the fuzz targets and the corpus-replay test feed untrusted bytes to:
// every parser that sees guest or upstream bytes, and the builders that
// answer a parsed frame.
#pragma once

#include <cstddef>
#include <cstdint>

#include <chrono>

#include "bbox/net/dns.h"
#include "bbox/net/egress_filter.h"
#include "bbox/net/packet.h"

namespace bbox::net::fuzz {

inline void one_frame(const uint8_t* data, size_t size) {
  Bytes bytes(data, size);
  auto f = parse_frame(bytes);
  if (!f) return;
  if (f->tcp) (void)build_tcp_reset(*f, f->eth.src);
  if (f->ip && !f->ip->src.v6 && !f->ip->fragment) (void)build_icmp_prohibited(*f, f->eth.src);
  if (f->udp) (void)parse_dns(f->udp->payload);
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  (void)fix_checksums(copy);
}

inline void one_dns(const uint8_t* data, size_t size) {
  auto m = parse_dns(Bytes(data, size));
  if (!m || m->questions.empty()) return;
  const DnsQuestion& q = m->questions[0];
  auto chain = follow_chain(*m, q.name, q.type);
  DnsReply reply{m->id, true, q, m->rcode(), chain.records};
  auto bytes = build_dns_response(reply);
  (void)parse_dns(bytes);
}

// The whole EgressFilter: the first byte picks a guest frame (even) or an
// upstream DNS answer (odd); the clock advances a second per input so DNS
// timeouts and allowance expiry are exercised too.
inline void one_filter(const uint8_t* data, size_t size) {
  static AuditLog audit(nullptr);
  static EgressFilter filter(
      [] {
        EgressPolicy p;
        p.profile_hosts = {parse_host_rule("a.test").value(), parse_host_rule("*.b.test").value()};
        p.user_hosts = {parse_host_rule("c.test:80").value()};
        p.host_ports = {8080};
        return p;
      }(),
      audit, {[](std::vector<uint8_t>) {}, [](Bytes) { return 0; }});
  static auto now = std::chrono::steady_clock::now();
  if (size < 1) return;
  now += std::chrono::seconds(1);
  if (data[0] & 1) {
    filter.from_upstream(Bytes(data + 1, size - 1), now);
  } else {
    std::vector<uint8_t> frame(data + 1, data + size);
    filter.from_guest(frame, now);
    filter.from_slirp(frame);
  }
  filter.expire(now);
}

}  // namespace bbox::net::fuzz
