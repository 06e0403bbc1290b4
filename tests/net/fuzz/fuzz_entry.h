// What the fuzz targets and the corpus-replay test feed untrusted bytes to:
// every parser that sees guest or upstream bytes, and the builders that
// answer a parsed frame.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bbox/net/dns.h"
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

}  // namespace bbox::net::fuzz
