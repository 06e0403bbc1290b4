// Big-endian loads and stores for packet code. Callers check bounds first.
#pragma once

#include <cstdint>
#include <vector>

namespace bbox::net::wire {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v & 0xff;
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}
inline void append16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(v >> 8);
  out.push_back(v & 0xff);
}
inline void append32(std::vector<uint8_t>& out, uint32_t v) {
  append16(out, v >> 16);
  append16(out, v & 0xffff);
}

}  // namespace bbox::net::wire
