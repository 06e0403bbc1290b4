// Frames bbox writes to the guest itself, and checksum repair.
#include <algorithm>

#include "bbox/net/packet.h"
#include "net/wire.h"

namespace bbox::net {

uint16_t internet_checksum(Bytes data, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += wire::be16(&data[i]);
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

namespace {

uint32_t pseudo_header_sum(const IpPacket& ip, size_t length) {
  uint32_t sum = 0;
  size_t addr_len = ip.src.v6 ? 16 : 4;
  for (size_t i = 0; i < addr_len; i += 2) {
    sum += wire::be16(&ip.src.bytes[i]) + wire::be16(&ip.dst.bytes[i]);
  }
  return sum + ip.protocol + static_cast<uint32_t>(length & 0xffff) +
         static_cast<uint32_t>(length >> 16);
}

size_t checksum_offset(uint8_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return 16;
    case kProtoUdp:
      return 6;
    case kProtoIcmp:
    case kProtoIcmp6:
      return 2;
    default:
      return 0;
  }
}

}  // namespace

bool fix_checksums(std::vector<uint8_t>& frame) {
  auto parsed = parse_frame(frame);
  if (!parsed || !parsed->ip) return false;
  const IpPacket& ip = *parsed->ip;
  size_t ip_start = 14;
  size_t l4_start = ip_start + ip.header.size();

  if (!ip.src.v6) {
    wire::put16(&frame[ip_start + 10], 0);
    wire::put16(&frame[ip_start + 10],
                internet_checksum(Bytes(frame).subspan(ip_start, ip.header.size())));
  }
  size_t off = checksum_offset(ip.protocol);
  if (off == 0 || ip.fragment || ip.payload.size() < off + 2) return true;

  wire::put16(&frame[l4_start + off], 0);
  Bytes l4 = Bytes(frame).subspan(l4_start, ip.payload.size());
  uint32_t start = ip.protocol == kProtoIcmp ? 0 : pseudo_header_sum(ip, l4.size());
  uint16_t sum = internet_checksum(l4, start);
  if (ip.protocol == kProtoUdp && sum == 0) sum = 0xffff;
  wire::put16(&frame[l4_start + off], sum);
  return true;
}

namespace {

// Ethernet + IP header answering `orig`, with room for `l4_len` more bytes.
std::vector<uint8_t> reply_headers(const ParsedFrame& orig, const Mac& from_mac, uint8_t proto,
                                   size_t l4_len) {
  const IpPacket& ip = *orig.ip;
  std::vector<uint8_t> out(orig.eth.src.begin(), orig.eth.src.end());
  out.insert(out.end(), from_mac.begin(), from_mac.end());
  wire::append16(out, ip.src.v6 ? kEtherIpv6 : kEtherIpv4);

  if (!ip.src.v6) {
    out.insert(out.end(), {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0});
    wire::put16(&out[16], static_cast<uint16_t>(20 + l4_len));
    out.insert(out.end(), ip.dst.bytes.begin(), ip.dst.bytes.begin() + 4);
    out.insert(out.end(), ip.src.bytes.begin(), ip.src.bytes.begin() + 4);
  } else {
    out.insert(out.end(), {0x60, 0, 0, 0, 0, 0, proto, 64});
    wire::put16(&out[18], static_cast<uint16_t>(l4_len));
    out.insert(out.end(), ip.dst.bytes.begin(), ip.dst.bytes.end());
    out.insert(out.end(), ip.src.bytes.begin(), ip.src.bytes.end());
  }
  return out;
}

}  // namespace

std::vector<uint8_t> build_tcp_reset(const ParsedFrame& orig, const Mac& from_mac) {
  const TcpHeader& t = *orig.tcp;
  std::vector<uint8_t> out = reply_headers(orig, from_mac, kProtoTcp, 20);
  uint32_t seq = 0, ack = 0;
  uint8_t flags = kTcpRst;
  if (t.flags & kTcpAck) {
    seq = t.ack;
  } else {
    ack = t.seq + static_cast<uint32_t>(t.payload.size()) + ((t.flags & kTcpSyn) ? 1 : 0) +
          ((t.flags & kTcpFin) ? 1 : 0);
    flags |= kTcpAck;
  }
  wire::append16(out, t.dst_port);
  wire::append16(out, t.src_port);
  wire::append32(out, seq);
  wire::append32(out, ack);
  out.insert(out.end(), {0x50, flags, 0, 0, 0, 0, 0, 0});
  fix_checksums(out);
  return out;
}

std::vector<uint8_t> build_icmp_prohibited(const ParsedFrame& orig, const Mac& from_mac) {
  const IpPacket& ip = *orig.ip;
  size_t quoted = std::min(ip.payload.size(), size_t{8});
  size_t l4_len = 8 + ip.header.size() + quoted;
  std::vector<uint8_t> out = reply_headers(orig, from_mac, kProtoIcmp, l4_len);
  out.insert(out.end(), {3, 13, 0, 0, 0, 0, 0, 0});
  out.insert(out.end(), ip.header.begin(), ip.header.end());
  out.insert(out.end(), ip.payload.begin(), ip.payload.begin() + quoted);
  fix_checksums(out);
  return out;
}

std::vector<uint8_t> build_udp4(const UdpEndpoints& e, Bytes payload) {
  std::vector<uint8_t> out(e.dst_mac.begin(), e.dst_mac.end());
  out.insert(out.end(), e.src_mac.begin(), e.src_mac.end());
  wire::append16(out, kEtherIpv4);
  out.insert(out.end(), {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, kProtoUdp, 0, 0});
  wire::put16(&out[16], static_cast<uint16_t>(28 + payload.size()));
  wire::append32(out, e.src_ip);
  wire::append32(out, e.dst_ip);
  wire::append16(out, e.src_port);
  wire::append16(out, e.dst_port);
  wire::append16(out, static_cast<uint16_t>(8 + payload.size()));
  wire::append16(out, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  fix_checksums(out);
  return out;
}

}  // namespace bbox::net
