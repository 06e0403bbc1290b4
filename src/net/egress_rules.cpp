#include <algorithm>

#include "bbox/net/policy.h"

namespace bbox::net {

namespace {

constexpr size_t kMaxGrantsPerAddress = 16;

bool is_dns_port(uint16_t port) { return port == 53 || port == 853; }

void merge_rule(NameVerdict& v, const HostRule& rule, bool user_listed) {
  v.allowed = true;
  if (rule.port) {
    if (std::find(v.ports.begin(), v.ports.end(), *rule.port) == v.ports.end()) {
      v.ports.push_back(*rule.port);
    }
  } else {
    v.any_port = true;
  }
  if (user_listed && !rule.wildcard) v.private_ok = true;
  if (v.rule.empty() || (user_listed && !rule.wildcard)) v.rule = rule.str();
}

}  // namespace

EgressRules::EgressRules(EgressPolicy policy, size_t max_addresses)
    : policy_(std::move(policy)), max_addresses_(std::max<size_t>(max_addresses, 1)) {}

NameVerdict EgressRules::check_name(std::string_view name) const {
  NameVerdict v;
  for (const HostRule& rule : policy_.profile_hosts) {
    if (rule.matches(name)) merge_rule(v, rule, false);
  }
  for (const HostRule& rule : policy_.user_hosts) {
    if (rule.matches(name)) merge_rule(v, rule, true);
  }
  if (policy_.profile == Profile::kPermissive && !name.empty()) {
    v.allowed = true;
    v.any_port = true;
    if (v.rule.empty()) v.rule = "profile permissive";
  }
  return v;
}

uint32_t EgressRules::learn(const NameVerdict& verdict, std::span<const IpAddress> addresses,
                            uint32_t ttl, Clock::time_point now) {
  auto lo = static_cast<uint32_t>(policy_.min_ttl.count());
  auto hi = static_cast<uint32_t>(policy_.max_ttl.count());
  uint32_t clamped = std::clamp(ttl, lo, std::max(lo, hi));
  if (!verdict.allowed) return clamped;

  auto expires = now + std::chrono::seconds(clamped);
  for (const IpAddress& addr : addresses) {
    auto it = allow_set_.find(addr);
    if (it == allow_set_.end()) {
      if (allow_set_.size() >= max_addresses_) evict_oldest();
      it = allow_set_.emplace(addr, Entry{{}, now}).first;
    }
    it->second.learned = now;
    if (verdict.any_port) add_grant(it->second, {std::nullopt, verdict.private_ok, expires});
    for (uint16_t port : verdict.ports) {
      add_grant(it->second, {port, verdict.private_ok, expires});
    }
  }
  return clamped;
}

void EgressRules::add_grant(Entry& entry, Grant grant) {
  for (Grant& g : entry.grants) {
    if (g.port == grant.port && g.private_ok == grant.private_ok) {
      g.expires = std::max(g.expires, grant.expires);
      return;
    }
  }
  if (entry.grants.size() >= kMaxGrantsPerAddress) {
    auto oldest =
        std::min_element(entry.grants.begin(), entry.grants.end(),
                         [](const Grant& a, const Grant& b) { return a.expires < b.expires; });
    *oldest = grant;
    return;
  }
  entry.grants.push_back(grant);
}

void EgressRules::evict_oldest() {
  auto oldest = std::min_element(
      allow_set_.begin(), allow_set_.end(),
      [](const auto& a, const auto& b) { return a.second.learned < b.second.learned; });
  if (oldest != allow_set_.end()) allow_set_.erase(oldest);
}

ConnectionVerdict EgressRules::check_connection(Transport transport, const IpAddress& dst,
                                                uint16_t port, Clock::time_point now) const {
  bool any_port = transport == Transport::kIcmp;
  if (dst.v6 && !policy_.allow_ipv6) return {false, "IPv6 is not allowed"};
  AddressClass cls = classify(dst);
  if (cls == AddressClass::kNever) return {false, "loopback, link-local or reserved address"};
  if (!any_port && is_dns_port(port)) return {false, "DNS goes only to the session resolver"};

  bool needs_private = cls == AddressClass::kPrivate;
  if (!needs_private && policy_.profile == Profile::kPermissive) return {true, "permissive"};

  auto it = allow_set_.find(dst);
  if (it == allow_set_.end()) {
    return {false, needs_private ? "private address not resolved through a name the user listed"
                                 : "not resolved through an allowed name"};
  }
  bool some_live = false;
  for (const Grant& g : it->second.grants) {
    if (g.expires <= now || (needs_private && !g.private_ok)) continue;
    some_live = true;
    if (any_port || !g.port || *g.port == port) return {true, "resolved through an allowed name"};
  }
  if (!some_live) {
    return {false, needs_private ? "private address not resolved through a name the user listed"
                                 : "allowance expired or never given"};
  }
  return {false, "port not allowed for this host"};
}

}  // namespace bbox::net
