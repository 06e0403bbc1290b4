#include "bbox/net/dns.h"

#include <algorithm>

#include "net/wire.h"

namespace bbox::net {

namespace {

constexpr int kMaxPointerJumps = 32;
constexpr size_t kMaxNameLength = 255;

bool valid_label_byte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Reads the name at `pos`; on success moves `pos` past it (past the first
// pointer when the name is compressed).
std::optional<std::string> read_name(Bytes m, size_t& pos) {
  std::string name;
  size_t at = pos, wire_len = 1;
  std::optional<size_t> resume;
  for (int jumps = 0;;) {
    if (at >= m.size()) return std::nullopt;
    uint8_t len = m[at];
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size() || ++jumps > kMaxPointerJumps) return std::nullopt;
      size_t target = size_t{len & 0x3fu} << 8 | m[at + 1];
      if (target >= at) return std::nullopt;  // only backward pointers
      if (!resume) resume = at + 2;
      at = target;
      continue;
    }
    if ((len & 0xc0) != 0) return std::nullopt;
    if (len == 0) {
      pos = resume ? *resume : at + 1;
      return name;
    }
    wire_len += len + 1;
    if (at + 1 + len > m.size() || wire_len > kMaxNameLength) return std::nullopt;
    if (!name.empty()) name += '.';
    for (size_t i = at + 1; i <= at + len; ++i) {
      uint8_t c = m[i];
      if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
      if (!valid_label_byte(c)) return std::nullopt;
      name += static_cast<char>(c);
    }
    at += 1 + len;
  }
}

std::optional<DnsRecord> read_record(Bytes m, size_t& pos) {
  DnsRecord r;
  auto name = read_name(m, pos);
  if (!name || pos + 10 > m.size()) return std::nullopt;
  r.name = std::move(*name);
  r.type = wire::be16(&m[pos]);
  r.klass = wire::be16(&m[pos + 2]);
  r.ttl = wire::be32(&m[pos + 4]);
  size_t rdlen = wire::be16(&m[pos + 8]);
  pos += 10;
  if (pos + rdlen > m.size()) return std::nullopt;

  size_t rdata = pos;
  pos += rdlen;
  if (r.type == kDnsA && rdlen == 4) {
    r.address = IpAddress::v4(wire::be32(&m[rdata]));
  } else if (r.type == kDnsAaaa && rdlen == 16) {
    r.address = IpAddress::from_v6(&m[rdata]);
  } else if (r.type == kDnsCname) {
    size_t at = rdata;
    auto target = read_name(m, at);
    if (!target || at != pos) return std::nullopt;
    r.target = std::move(*target);
  } else if (r.type == kDnsA || r.type == kDnsAaaa) {
    return std::nullopt;  // wrong address length
  }
  return r;
}

}  // namespace

std::optional<DnsMessage> parse_dns(Bytes m) {
  if (m.size() < 12 || m.size() > 65535) return std::nullopt;
  DnsMessage msg;
  msg.id = wire::be16(&m[0]);
  msg.flags = wire::be16(&m[2]);
  size_t qd = wire::be16(&m[4]), an = wire::be16(&m[6]);
  if (qd > 4 || an > kMaxDnsAnswers) return std::nullopt;

  size_t pos = 12;
  for (size_t i = 0; i < qd; ++i) {
    auto name = read_name(m, pos);
    if (!name || pos + 4 > m.size()) return std::nullopt;
    msg.questions.push_back({std::move(*name), wire::be16(&m[pos]), wire::be16(&m[pos + 2])});
    pos += 4;
  }
  for (size_t i = 0; i < an; ++i) {
    auto r = read_record(m, pos);
    if (!r) return std::nullopt;
    msg.answers.push_back(std::move(*r));
  }
  return msg;
}

namespace {

void append_name(std::vector<uint8_t>& out, std::string_view name) {
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<uint8_t>(std::min<size_t>(label.size(), 63)));
    out.insert(out.end(), label.begin(), label.begin() + std::min<size_t>(label.size(), 63));
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
}

void append_record(std::vector<uint8_t>& out, const DnsRecord& r) {
  append_name(out, r.name);
  wire::append16(out, r.type);
  wire::append16(out, r.klass);
  wire::append32(out, r.ttl);
  if (r.type == kDnsCname) {
    std::vector<uint8_t> target;
    append_name(target, r.target);
    wire::append16(out, static_cast<uint16_t>(target.size()));
    out.insert(out.end(), target.begin(), target.end());
    return;
  }
  size_t len = r.address && r.address->v6 ? 16 : 4;
  wire::append16(out, static_cast<uint16_t>(len));
  IpAddress addr = r.address.value_or(IpAddress{});
  out.insert(out.end(), addr.bytes.begin(), addr.bytes.begin() + len);
}

}  // namespace

std::vector<uint8_t> build_dns_query(uint16_t id, std::string_view name, uint16_t type) {
  std::vector<uint8_t> out;
  wire::append16(out, id);
  out.insert(out.end(), {0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
  append_name(out, name);
  wire::append16(out, type);
  wire::append16(out, kDnsClassIn);
  return out;
}

std::vector<uint8_t> build_dns_response(const DnsReply& reply) {
  std::vector<uint8_t> out;
  wire::append16(out, reply.id);
  uint16_t flags = 0x8080 | (reply.recursion_desired ? 0x0100 : 0) | (reply.rcode & 0x0f);
  wire::append16(out, flags);
  out.insert(out.end(), {0, 1, 0, 0, 0, 0, 0, 0});
  append_name(out, reply.question.name);
  wire::append16(out, reply.question.type);
  wire::append16(out, reply.question.klass);

  uint16_t count = 0;
  for (const DnsRecord& r : reply.answers) {
    std::vector<uint8_t> rec;
    append_record(rec, r);
    if (out.size() + rec.size() > kMaxUdpDnsReply) break;
    out.insert(out.end(), rec.begin(), rec.end());
    ++count;
  }
  wire::put16(&out[6], count);
  return out;
}

DnsChain follow_chain(const DnsMessage& answer, std::string_view asked, uint16_t type) {
  DnsChain chain;
  std::string current(asked);
  bool first = true;
  auto note_ttl = [&](uint32_t ttl) {
    chain.min_ttl = first ? ttl : std::min(chain.min_ttl, ttl);
    first = false;
  };
  for (int hops = 0; hops <= 8; ++hops) {
    const DnsRecord* cname = nullptr;
    for (const DnsRecord& r : answer.answers) {
      if (r.name != current || r.klass != kDnsClassIn) continue;
      if (r.type == kDnsCname && !cname) cname = &r;
      if (r.type == type && r.address) {
        chain.records.push_back(r);
        chain.addresses.push_back(*r.address);
        note_ttl(r.ttl);
      }
    }
    if (!cname || !chain.addresses.empty()) break;
    chain.records.push_back(*cname);
    note_ttl(cname->ttl);
    current = cname->target;
  }
  return chain;
}

}  // namespace bbox::net
