// Bounds-checked views of the headers in an Ethernet frame from the guest,
// and builders for the few frames bbox answers with itself (TCP RST, ICMP
// unreachable, UDP). Every parser takes untrusted bytes: it returns nullopt
// for anything short, truncated or inconsistent and never reads past `data`.
// Views (std::span) point into the caller's buffer and live no longer than it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bbox/net/address.h"

namespace bbox::net {

using Bytes = std::span<const uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr size_t kMaxFrame = 65536;

struct EthernetHeader {
  Mac dst{}, src{};
  uint16_t type = 0;
  Bytes payload;
};
std::optional<EthernetHeader> parse_ethernet(Bytes frame);

struct ArpPacket {  // IPv4 over Ethernet only
  uint16_t op = 0;
  Mac sender_mac{};
  uint32_t sender_ip = 0;
  uint32_t target_ip = 0;
};
std::optional<ArpPacket> parse_arp(Bytes payload);

struct IpPacket {
  IpAddress src, dst;
  uint8_t protocol = 0;   // for IPv6: the first next-header; extension headers are not walked
  bool fragment = false;  // IPv4 MF set or a nonzero offset
  Bytes header;           // the IP header itself
  Bytes payload;          // bounded by the IP total/payload length, not the frame
};
std::optional<IpPacket> parse_ipv4(Bytes payload);
std::optional<IpPacket> parse_ipv6(Bytes payload);

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

struct TcpHeader {
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  Bytes payload;
};
std::optional<TcpHeader> parse_tcp(Bytes segment);

struct UdpHeader {
  uint16_t src_port = 0, dst_port = 0;
  Bytes payload;
};
std::optional<UdpHeader> parse_udp(Bytes datagram);

struct IcmpHeader {
  uint8_t type = 0, code = 0;
};
std::optional<IcmpHeader> parse_icmp(Bytes message);

// A whole frame taken apart as far as the filter needs. Fields for layers
// the frame does not have stay empty.
struct ParsedFrame {
  EthernetHeader eth;
  std::optional<ArpPacket> arp;
  std::optional<IpPacket> ip;
  std::optional<TcpHeader> tcp;
  std::optional<UdpHeader> udp;
  std::optional<IcmpHeader> icmp;
};
// Nullopt when any layer present is malformed.
std::optional<ParsedFrame> parse_frame(Bytes frame);

// The Internet checksum (RFC 1071) of `data`, starting from `sum`.
uint16_t internet_checksum(Bytes data, uint32_t sum = 0);
// Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum in place
// of a complete Ethernet frame. False when the frame does not parse.
bool fix_checksums(std::vector<uint8_t>& frame);

// Replies bbox sends to the guest in place of a remote peer. `from_mac` is the
// gateway's MAC; the frame being answered comes from the guest.
std::vector<uint8_t> build_tcp_reset(const ParsedFrame& to_answer, const Mac& from_mac);
// ICMP (v4) destination unreachable, administratively prohibited.
std::vector<uint8_t> build_icmp_prohibited(const ParsedFrame& to_answer, const Mac& from_mac);
// A UDP/IPv4 datagram.
struct UdpEndpoints {
  Mac src_mac{}, dst_mac{};
  uint32_t src_ip = 0, dst_ip = 0;  // host order
  uint16_t src_port = 0, dst_port = 0;
};
std::vector<uint8_t> build_udp4(const UdpEndpoints& ends, Bytes payload);

}  // namespace bbox::net
