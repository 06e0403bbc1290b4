// The egress policy of a session and the rules engine that applies it: which
// names the guest may resolve, and which addresses (learned from those
// names' DNS answers) it may then reach. Pure logic, no sockets: the switch
// feeds it names, answers and connection attempts, with the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/net/address.h"

namespace bbox::net {

enum class Profile { kPermissive, kStandard, kLocked };
std::optional<Profile> parse_profile(std::string_view name);
std::string_view profile_name(Profile profile);

// "name", "name:port", "*.example.com" or "*.example.com:port". Names are
// lowercase without a trailing dot; for a wildcard `name` holds the part
// after "*." and the rule matches names strictly below it.
struct HostRule {
  std::string name;
  bool wildcard = false;
  std::optional<uint16_t> port;  // nullopt: any port

  bool matches(std::string_view host) const;
  std::string str() const;
};

// A DNS hostname the egress filter can enforce: lowercase letters, digits,
// '-' and '_' in labels of 1..63 (not starting or ending with '-'), at most
// 253 characters, an optional "*." wildcard as the whole leftmost label
// followed by at least two labels. IP addresses in every spelling (dotted,
// shortened, decimal, octal, hex, IPv6, bracketed, IPv4-mapped), a bare "*"
// and a trailing dot are refused. Returns the name lowercased, "*." kept.
// This is bbox's one hostname check: config and flags use it too.
Result<std::string> validate_hostname(std::string_view name);

// Parses a rule as written by the user, HOST[:PORT] (PORT 1..65535, absent
// means any), with validate_hostname's rules.
Result<HostRule> parse_host_rule(std::string_view text);

struct SocketAddress {
  IpAddress addr;
  uint16_t port = 53;
};
// The first nameserver of a resolv.conf file.
Result<SocketAddress> read_resolv_conf(const std::string& path = "/etc/resolv.conf");

struct EgressPolicy {
  Profile profile = Profile::kStandard;
  std::vector<HostRule> profile_hosts;             // the profile's list (provider, registries)
  std::vector<HostRule> user_hosts;                // --allow-host, network.allow_hosts
  std::vector<uint16_t> host_ports;                // --allow-host-port: host 127.0.0.1:PORT
  std::optional<SocketAddress> upstream_resolver;  // nullopt: read_resolv_conf()
  bool allow_ipv6 = false;
  std::chrono::seconds min_ttl{30};
  std::chrono::seconds max_ttl{300};
  std::chrono::milliseconds upstream_timeout{3000};
};

struct NameVerdict {
  bool allowed = false;
  bool any_port = false;        // some matching rule names no port
  std::vector<uint16_t> ports;  // ports named by matching rules
  bool private_ok = false;      // an exact name the user listed matched
  std::string rule;             // the deciding rule, for the log
};

enum class Transport { kTcp, kUdp, kIcmp };

struct ConnectionVerdict {
  bool allowed = false;
  std::string reason;  // why, for the log: "not resolved through an allowed name", ...
};

class EgressRules {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EgressRules(EgressPolicy policy, size_t max_addresses = 4096);

  const EgressPolicy& policy() const { return policy_; }
  NameVerdict check_name(std::string_view name) const;

  // Opens `addresses` for what `verdict` allows, for `ttl` clamped to the
  // policy's range. Returns the clamped TTL. When the table is full the
  // address learned longest ago is forgotten.
  uint32_t learn(const NameVerdict& verdict, std::span<const IpAddress> addresses, uint32_t ttl,
                 Clock::time_point now);

  // `port` is ignored for ICMP.
  ConnectionVerdict check_connection(Transport transport, const IpAddress& dst, uint16_t port,
                                     Clock::time_point now) const;

  size_t allow_set_size() const { return allow_set_.size(); }

 private:
  struct Grant {
    std::optional<uint16_t> port;
    bool private_ok = false;
    Clock::time_point expires;
  };
  struct Entry {
    std::vector<Grant> grants;
    Clock::time_point learned;
  };

  void add_grant(Entry& entry, Grant grant);
  void evict_oldest();

  EgressPolicy policy_;
  size_t max_addresses_;
  std::map<IpAddress, Entry> allow_set_;
};

}  // namespace bbox::net
