// Hostname rules for the egress allowlist, as config and flags spell them.
// The rules themselves live in net (net::validate_hostname), beside the
// DNS-based filter that enforces them.
#include <fmt/format.h>

#include "bbox/config/parse.h"
#include "bbox/net/policy.h"

namespace bbox::config {

Result<std::string> validate_hostname(std::string_view raw) {
  return net::validate_hostname(raw);
}

Result<AllowedHost> parse_allow_host(std::string_view text) {
  Result<net::HostRule> rule = net::parse_host_rule(text);
  if (!rule) return rule.error();
  return AllowedHost{rule->wildcard ? "*." + rule->name : rule->name, rule->port.value_or(0)};
}

std::string format_allowed_host(const AllowedHost& host) {
  if (host.port == 0) return host.host;
  return fmt::format("{}:{}", host.host, host.port);
}

}  // namespace bbox::config
