#include "net/dns_responder.h"

#include <algorithm>

#include "bbox/net/egress_filter.h"

namespace bbox::net {

DnsResponder::DnsResponder(EgressRules& rules, AuditLog& audit, Send to_guest,
                           std::function<int(Bytes)> to_upstream)
    : rules_(rules),
      audit_(audit),
      to_guest_(std::move(to_guest)),
      to_upstream_(std::move(to_upstream)),
      ids_(std::random_device{}()) {}

void DnsResponder::on_query(const ParsedFrame& f, Clock::time_point now) {
  auto msg = parse_dns(f.udp->payload);
  if (!msg || msg->is_response() || msg->opcode() != 0 || msg->questions.size() != 1 ||
      msg->questions[0].klass != kDnsClassIn) {
    audit_.malformed("DNS query");
    return;
  }
  Pending p;
  p.guest_id = msg->id;
  p.recursion_desired = msg->recursion_desired();
  p.question = msg->questions[0];
  p.guest_mac = f.eth.src;
  p.guest_ip = f.ip->src.v4_value();
  p.guest_port = f.udp->src_port;
  const std::string& name = p.question.name;

  if (name == kHostName) return answer_locally(p);
  p.verdict = rules_.check_name(name);
  if (!p.verdict.allowed) {
    audit_.blocked(name + " (DNS)", "block dns " + name + ": not in the egress policy");
    return answer_in_order(p, kRcodeNxDomain, {});
  }
  bool wanted =
      p.question.type == kDnsA || (p.question.type == kDnsAaaa && rules_.policy().allow_ipv6);
  if (!wanted) return answer_in_order(p, kRcodeNoError, {});  // no data of that type for the guest
  forward(std::move(p), now);
}

void DnsResponder::answer_locally(const Pending& p) {
  std::vector<DnsRecord> answers;
  if (p.question.type == kDnsA) {
    answers.push_back({kHostName, kDnsA, kDnsClassIn, 60, IpAddress::v4(kGatewayIp), ""});
  }
  answer_in_order(p, kRcodeNoError, std::move(answers));
}

void DnsResponder::forward(Pending p, Clock::time_point now) {
  if (pending_.size() >= kMaxPending) {
    reply(pending_.front(), kRcodeServFail, {});  // the oldest gives way
    pending_.pop_front();
  }
  bool taken = true;
  while (taken) {  // a fresh id no pending query uses
    p.upstream_id = static_cast<uint16_t>(ids_());
    taken = std::any_of(pending_.begin(), pending_.end(),
                        [&](const Pending& q) { return q.upstream_id == p.upstream_id; });
  }
  p.deadline = now + rules_.policy().upstream_timeout;
  p.channel = to_upstream_(build_dns_query(p.upstream_id, p.question.name, p.question.type));
  pending_.push_back(std::move(p));
}

void DnsResponder::on_upstream(Bytes datagram, int channel, Clock::time_point now) {
  auto msg = parse_dns(datagram);
  if (!msg || !msg->is_response()) return;
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return p.upstream_id == msg->id && p.channel == channel;
  });
  if (it == pending_.end()) return;
  if (msg->questions.size() != 1 || msg->questions[0].name != it->question.name ||
      msg->questions[0].type != it->question.type) {
    return;  // not the answer to our question; the query times out instead
  }
  Pending p = std::move(*it);
  pending_.erase(it);
  if (msg->rcode() != kRcodeNoError) return reply(p, msg->rcode(), {});

  DnsChain chain = follow_chain(*msg, p.question.name, p.question.type);
  uint32_t ttl = rules_.learn(p.verdict, chain.addresses, chain.min_ttl, now);
  std::string line = "allow dns " + p.question.name + " ->";
  for (const IpAddress& a : chain.addresses) line += " " + a.str();
  audit_.allowed(line + " for " + std::to_string(ttl) + "s (rule " + p.verdict.rule + ")");
  for (DnsRecord& r : chain.records) r.ttl = std::min(r.ttl, ttl);
  reply(p, kRcodeNoError, std::move(chain.records));
}

void DnsResponder::expire(Clock::time_point now) {
  while (!pending_.empty() && pending_.front().deadline <= now) {
    audit_.allowed("host resolver did not answer for " + pending_.front().question.name +
                   "; SERVFAIL to the guest");
    reply(pending_.front(), kRcodeServFail, {});
    pending_.pop_front();
  }
}

std::optional<DnsResponder::Clock::time_point> DnsResponder::next_deadline() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().deadline;
}

std::vector<uint8_t> DnsResponder::reply_frame(const Pending& p, uint8_t rcode,
                                               std::vector<DnsRecord> answers) const {
  DnsReply r{p.guest_id, p.recursion_desired, p.question, rcode, std::move(answers)};
  auto payload = build_dns_response(r);
  UdpEndpoints ends{kResolverMac, p.guest_mac, kResolverIp, p.guest_ip, 53, p.guest_port};
  return build_udp4(ends, payload);
}

void DnsResponder::reply(const Pending& p, uint8_t rcode, std::vector<DnsRecord> answers) {
  to_guest_(reply_frame(p, rcode, std::move(answers)));
  for (const auto& frame : p.followers) to_guest_(frame);
}

void DnsResponder::answer_in_order(const Pending& p, uint8_t rcode,
                                   std::vector<DnsRecord> answers) {
  auto frame = reply_frame(p, rcode, std::move(answers));
  for (Pending& q : pending_) {
    if (q.guest_id == p.guest_id && q.guest_port == p.guest_port && q.guest_ip == p.guest_ip &&
        q.followers.size() < 4) {
      q.followers.push_back(std::move(frame));
      return;
    }
  }
  to_guest_(std::move(frame));
}

}  // namespace bbox::net
