#include "bbox/net/address.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace bbox::net {

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.bytes[0] = host_order >> 24;
  a.bytes[1] = host_order >> 16;
  a.bytes[2] = host_order >> 8;
  a.bytes[3] = host_order;
  return a;
}

IpAddress IpAddress::from_v6(const uint8_t* sixteen_bytes) {
  IpAddress a;
  a.v6 = true;
  std::memcpy(a.bytes.data(), sixteen_bytes, 16);
  return a;
}

uint32_t IpAddress::v4_value() const {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

bool looks_like_ip_literal(std::string_view text) {
  if (text.empty()) return false;
  if (text.front() == '[' || text.find(':') != std::string_view::npos) return true;
  // inet_aton accepts 1 to 4 parts, each decimal, octal or 0x-hex.
  std::string s(text);
  in_addr ignored{};
  if (inet_aton(s.c_str(), &ignored) != 0) return true;
  // A last label made only of digits or hex notation is no DNS name either.
  auto dot = text.rfind('.');
  std::string_view last = dot == std::string_view::npos ? text : text.substr(dot + 1);
  if (last.empty()) return false;
  bool digits = true;
  for (char c : last) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  bool hex = last.size() > 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X');
  return digits || hex;
}

namespace {

bool in_v4(uint32_t a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

AddressClass classify_v4(uint32_t a) {
  if (in_v4(a, 0x7f000000, 8) || in_v4(a, 0xa9fe0000, 16) || in_v4(a, 0, 8) ||
      in_v4(a, 0xe0000000, 4) || in_v4(a, 0xf0000000, 4)) {
    return AddressClass::kNever;  // loopback, link-local, "this", multicast, reserved
  }
  if (in_v4(a, 0x0a000000, 8) || in_v4(a, 0xac100000, 12) || in_v4(a, 0xc0a80000, 16) ||
      in_v4(a, 0x64400000, 10)) {
    return AddressClass::kPrivate;
  }
  return AddressClass::kPublic;
}

}  // namespace

AddressClass classify(const IpAddress& addr) {
  if (!addr.v6) return classify_v4(addr.v4_value());
  const auto& b = addr.bytes;
  bool first_ten_zero = true;
  for (int i = 0; i < 10; ++i) first_ten_zero = first_ten_zero && b[i] == 0;
  if (first_ten_zero && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0))) {
    uint32_t v4 = uint32_t{b[12]} << 24 | uint32_t{b[13]} << 16 | uint32_t{b[14]} << 8 | b[15];
    return classify_v4(v4);  // mapped, compatible, ::1 and :: (0.0.0.x is kNever)
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kNever;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kNever;  // fec0::/10
  if (b[0] == 0xff) return AddressClass::kNever;                           // multicast
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                // fc00::/7
  if (b[0] == 0x20 && b[1] == 0x02) return AddressClass::kNever;  // 6to4 may embed anything
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    return AddressClass::kNever;  // NAT64 may embed anything
  }
  return AddressClass::kPublic;
}

}  // namespace bbox::net
