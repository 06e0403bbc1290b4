#include "bbox/net/packet.h"

#include <algorithm>

#include "net/wire.h"

namespace bbox::net {

std::optional<EthernetHeader> parse_ethernet(Bytes frame) {
  if (frame.size() < 14 || frame.size() > kMaxFrame) return std::nullopt;
  EthernetHeader h;
  std::copy_n(frame.begin(), 6, h.dst.begin());
  std::copy_n(frame.begin() + 6, 6, h.src.begin());
  h.type = wire::be16(frame.data() + 12);
  if (h.type == 0x8100 || h.type == 0x88a8) return std::nullopt;  // no VLAN tags here
  h.payload = frame.subspan(14);
  return h;
}

std::optional<ArpPacket> parse_arp(Bytes p) {
  if (p.size() < 28) return std::nullopt;
  if (wire::be16(&p[0]) != 1 || wire::be16(&p[2]) != kEtherIpv4 || p[4] != 6 || p[5] != 4) {
    return std::nullopt;
  }
  ArpPacket a;
  a.op = wire::be16(&p[6]);
  std::copy_n(p.begin() + 8, 6, a.sender_mac.begin());
  a.sender_ip = wire::be32(&p[14]);
  a.target_ip = wire::be32(&p[24]);
  return a;
}

std::optional<IpPacket> parse_ipv4(Bytes p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return std::nullopt;
  size_t header_len = size_t{p[0] & 0x0fu} * 4;
  size_t total = wire::be16(&p[2]);
  if (header_len < 20 || total < header_len || total > p.size()) return std::nullopt;

  IpPacket ip;
  uint16_t frag = wire::be16(&p[6]);
  ip.fragment = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
  ip.protocol = p[9];
  ip.src = IpAddress::v4(wire::be32(&p[12]));
  ip.dst = IpAddress::v4(wire::be32(&p[16]));
  ip.header = p.subspan(0, header_len);
  ip.payload = p.subspan(header_len, total - header_len);
  return ip;
}

std::optional<IpPacket> parse_ipv6(Bytes p) {
  if (p.size() < 40 || (p[0] >> 4) != 6) return std::nullopt;
  size_t payload_len = wire::be16(&p[4]);
  if (40 + payload_len > p.size()) return std::nullopt;

  IpPacket ip;
  ip.protocol = p[6];
  ip.src = IpAddress::from_v6(&p[8]);
  ip.dst = IpAddress::from_v6(&p[24]);
  ip.header = p.subspan(0, 40);
  ip.payload = p.subspan(40, payload_len);
  return ip;
}

std::optional<TcpHeader> parse_tcp(Bytes s) {
  if (s.size() < 20) return std::nullopt;
  size_t offset = size_t{s[12]} >> 4 << 2;
  if (offset < 20 || offset > s.size()) return std::nullopt;
  TcpHeader t;
  t.src_port = wire::be16(&s[0]);
  t.dst_port = wire::be16(&s[2]);
  t.seq = wire::be32(&s[4]);
  t.ack = wire::be32(&s[8]);
  t.flags = s[13];
  t.payload = s.subspan(offset);
  return t;
}

std::optional<UdpHeader> parse_udp(Bytes d) {
  if (d.size() < 8) return std::nullopt;
  size_t len = wire::be16(&d[4]);
  if (len < 8 || len > d.size()) return std::nullopt;
  UdpHeader u;
  u.src_port = wire::be16(&d[0]);
  u.dst_port = wire::be16(&d[2]);
  u.payload = d.subspan(8, len - 8);
  return u;
}

std::optional<IcmpHeader> parse_icmp(Bytes m) {
  if (m.size() < 8) return std::nullopt;
  return IcmpHeader{m[0], m[1]};
}

namespace {

bool parse_transport(ParsedFrame& f) {
  const IpPacket& ip = *f.ip;
  if (ip.fragment) return true;  // no transport header to read; the filter drops these
  switch (ip.protocol) {
    case kProtoTcp:
      f.tcp = parse_tcp(ip.payload);
      return f.tcp.has_value();
    case kProtoUdp:
      f.udp = parse_udp(ip.payload);
      return f.udp.has_value();
    case kProtoIcmp:
    case kProtoIcmp6:
      f.icmp = parse_icmp(ip.payload);
      return f.icmp.has_value();
    default:
      return true;
  }
}

}  // namespace

std::optional<ParsedFrame> parse_frame(Bytes frame) {
  auto eth = parse_ethernet(frame);
  if (!eth) return std::nullopt;
  ParsedFrame f;
  f.eth = *eth;

  switch (eth->type) {
    case kEtherArp:
      f.arp = parse_arp(eth->payload);
      return f.arp ? std::optional(f) : std::nullopt;
    case kEtherIpv4:
      f.ip = parse_ipv4(eth->payload);
      break;
    case kEtherIpv6:
      f.ip = parse_ipv6(eth->payload);
      break;
    default:
      return f;  // other EtherTypes: the filter drops them
  }
  if (!f.ip || !parse_transport(f)) return std::nullopt;
  return f;
}

}  // namespace bbox::net
