// IP addresses as the egress filter sees them, and the address classes it
// treats specially (loopback, link-local, private ranges).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bbox::net {

// An IPv4 or IPv6 address. IPv4 addresses keep their four bytes in the
// first four slots; the rest is zero.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(uint32_t host_order);
  static IpAddress from_v6(const uint8_t* sixteen_bytes);
  uint32_t v4_value() const;  // host order; only for !v6
  std::string str() const;
  auto operator<=>(const IpAddress&) const = default;
};

// Parses a dotted quad or an IPv6 address in canonical inet_pton form only.
std::optional<IpAddress> parse_ip(std::string_view text);

// True when `text` could be read as an IP address by any common resolver
// routine: dotted, shortened (127.1), decimal (2130706433), hex or octal
// parts (0x7f.1), IPv6 (also ::ffff:127.0.0.1), bracketed ([::1]).
bool looks_like_ip_literal(std::string_view text);

enum class AddressClass {
  kPublic,
  kPrivate,  // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
  kNever,    // loopback, link-local, unspecified, multicast, broadcast, reserved
};

// Classifies an address. IPv4-mapped and IPv4-compatible IPv6 addresses are
// classified by the IPv4 address they carry, so they cannot be a side door.
AddressClass classify(const IpAddress& addr);

}  // namespace bbox::net
