// Hand-made guest frames for the net tests.
#pragma once

#include <cstdint>
#include <vector>

#include "bbox/net/packet.h"

namespace bbox::net::test {

inline const Mac kGuestMac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
inline const Mac kGatewayMac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

inline void push16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(x >> 8);
  v.push_back(x & 0xff);
}
inline void push32(std::vector<uint8_t>& v, uint32_t x) {
  push16(v, x >> 16);
  push16(v, x & 0xffff);
}

inline std::vector<uint8_t> ip4_frame(uint32_t src, uint32_t dst, uint8_t proto,
                                      const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> f(kGatewayMac.begin(), kGatewayMac.end());
  f.insert(f.end(), kGuestMac.begin(), kGuestMac.end());
  push16(f, kEtherIpv4);
  f.insert(f.end(), {0x45, 0});
  push16(f, static_cast<uint16_t>(20 + l4.size()));
  f.insert(f.end(), {0, 1, 0x40, 0, 64, proto, 0, 0});
  push32(f, src);
  push32(f, dst);
  f.insert(f.end(), l4.begin(), l4.end());
  fix_checksums(f);
  return f;
}

inline std::vector<uint8_t> tcp4_frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                       uint8_t flags, uint32_t seq = 1) {
  std::vector<uint8_t> t;
  push16(t, sport);
  push16(t, dport);
  push32(t, seq);
  push32(t, 0);
  t.insert(t.end(), {0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
  return ip4_frame(src, dst, kProtoTcp, t);
}

inline std::vector<uint8_t> udp4_frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                       const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> u;
  push16(u, sport);
  push16(u, dport);
  push16(u, static_cast<uint16_t>(8 + payload.size()));
  push16(u, 0);
  u.insert(u.end(), payload.begin(), payload.end());
  return ip4_frame(src, dst, kProtoUdp, u);
}

}  // namespace bbox::net::test
