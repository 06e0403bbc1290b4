// DNS messages: a strict, bounds-checked parser for queries from the guest
// and answers from the upstream resolver, and builders for the messages bbox
// sends. Names come out lowercased without the trailing dot; a name with a
// byte outside [a-z0-9_-] in a label, a label over 63 bytes, a name over 255,
// a compression loop or a forward pointer makes the whole message malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/net/address.h"
#include "bbox/net/packet.h"

namespace bbox::net {

inline constexpr uint16_t kDnsA = 1;
inline constexpr uint16_t kDnsCname = 5;
inline constexpr uint16_t kDnsAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint8_t kRcodeNoError = 0;
inline constexpr uint8_t kRcodeServFail = 2;
inline constexpr uint8_t kRcodeNxDomain = 3;
inline constexpr uint8_t kRcodeRefused = 5;
inline constexpr size_t kMaxDnsAnswers = 64;
inline constexpr size_t kMaxUdpDnsReply = 512;

struct DnsQuestion {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = kDnsClassIn;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = kDnsClassIn;
  uint32_t ttl = 0;
  std::optional<IpAddress> address;  // A and AAAA
  std::string target;                // CNAME
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;  // authority and additional sections are not read

  bool is_response() const { return (flags & 0x8000) != 0; }
  uint8_t opcode() const { return (flags >> 11) & 0x0f; }
  uint8_t rcode() const { return flags & 0x0f; }
  bool recursion_desired() const { return (flags & 0x0100) != 0; }
};

// Nullopt for anything malformed, truncated or with more than
// kMaxDnsAnswers answers or 4 questions.
std::optional<DnsMessage> parse_dns(Bytes message);

// A recursive query for one name.
std::vector<uint8_t> build_dns_query(uint16_t id, std::string_view name, uint16_t type);

struct DnsReply {
  uint16_t id = 0;
  bool recursion_desired = true;
  DnsQuestion question;
  uint8_t rcode = kRcodeNoError;
  std::vector<DnsRecord> answers;
};
// Encodes a reply; answers that would take it past kMaxUdpDnsReply bytes are
// left out.
std::vector<uint8_t> build_dns_response(const DnsReply& reply);

// The part of an answer reached from `asked` through CNAMEs (at most 8),
// with records owned by other names left out.
struct DnsChain {
  std::vector<DnsRecord> records;    // CNAMEs and addresses, in chain order
  std::vector<IpAddress> addresses;  // of type `type` only
  uint32_t min_ttl = 0;              // over records; 0 when there are none
};
DnsChain follow_chain(const DnsMessage& answer, std::string_view asked, uint16_t type);

}  // namespace bbox::net
