// The virtual resolver at 10.0.2.3: answers the guest's queries from the
// policy, forwards allowed names to the host resolver under a fresh id, and
// teaches the rules the addresses of each allowed answer. Internal to the
// EgressFilter; same thread rules.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <random>

#include "bbox/net/audit.h"
#include "bbox/net/dns.h"
#include "bbox/net/packet.h"
#include "bbox/net/policy.h"

namespace bbox::net {

class DnsResponder {
 public:
  using Clock = std::chrono::steady_clock;
  using Send = std::function<void(std::vector<uint8_t>)>;
  static constexpr size_t kMaxPending = 256;

  DnsResponder(EgressRules& rules, AuditLog& audit, Send to_guest,
               std::function<int(Bytes)> to_upstream);

  // A UDP datagram from the guest to 10.0.2.3:53.
  void on_query(const ParsedFrame& f, Clock::time_point now);
  // `channel` is the socket the datagram came in on (see EgressFilter::Hooks).
  void on_upstream(Bytes datagram, int channel, Clock::time_point now);
  void expire(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;

 private:
  struct Pending {
    uint16_t upstream_id = 0;
    int channel = 0;
    uint16_t guest_id = 0;
    bool recursion_desired = true;
    DnsQuestion question;
    NameVerdict verdict;
    Mac guest_mac{};
    uint32_t guest_ip = 0;
    uint16_t guest_port = 0;
    Clock::time_point deadline;
    // Local answers to queries with the same id and port, sent after this
    // one's: clients that give A and AAAA queries one id (busybox under TCG
    // does) would otherwise take the fast local answer for the slow one.
    std::vector<std::vector<uint8_t>> followers;
  };

  // Sends the answer to a forwarded query, then its followers.
  void reply(const Pending& p, uint8_t rcode, std::vector<DnsRecord> answers);
  // Sends a locally made answer, or queues it behind a forwarded query
  // with the same id and port.
  void answer_in_order(const Pending& p, uint8_t rcode, std::vector<DnsRecord> answers);
  std::vector<uint8_t> reply_frame(const Pending& p, uint8_t rcode,
                                   std::vector<DnsRecord> answers) const;
  void answer_locally(const Pending& p);
  void forward(Pending p, Clock::time_point now);

  EgressRules& rules_;
  AuditLog& audit_;
  Send to_guest_;
  std::function<int(Bytes)> to_upstream_;
  std::deque<Pending> pending_;  // oldest first
  std::mt19937 ids_;
};

}  // namespace bbox::net
