#include <algorithm>
#include <fstream>
#include <sstream>

#include "bbox/net/policy.h"

namespace bbox::net {

std::optional<Profile> parse_profile(std::string_view name) {
  if (name == "permissive") return Profile::kPermissive;
  if (name == "standard") return Profile::kStandard;
  if (name == "locked") return Profile::kLocked;
  return std::nullopt;
}

std::string_view profile_name(Profile profile) {
  switch (profile) {
    case Profile::kPermissive:
      return "permissive";
    case Profile::kStandard:
      return "standard";
    case Profile::kLocked:
      return "locked";
  }
  return "?";
}

bool HostRule::matches(std::string_view host) const {
  if (!wildcard) return host == name;
  return host.size() > name.size() + 1 && host.ends_with(name) &&
         host[host.size() - name.size() - 1] == '.';
}

std::string HostRule::str() const {
  std::string s = wildcard ? "*." + name : name;
  if (port) s += ":" + std::to_string(*port);
  return s;
}

namespace {

Error refuse(std::string_view text, std::string_view cause) {
  return Error{"parse allowed host '" + std::string(text) + "': " + std::string(cause)};
}

Result<std::optional<uint16_t>> split_port(std::string& host, std::string_view text) {
  auto colon = host.rfind(':');
  if (colon == std::string::npos) return std::optional<uint16_t>{};
  if (host.find(':') != colon) return refuse(text, "IP addresses are not allowed");
  std::string digits = host.substr(colon + 1);
  host.resize(colon);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return refuse(text, "the port must be a number from 1 to 65535");
  }
  unsigned long port = std::stoul(digits);
  if (port == 0 || port > 65535) return refuse(text, "the port must be a number from 1 to 65535");
  return std::optional<uint16_t>(static_cast<uint16_t>(port));
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

}  // namespace

Result<HostRule> parse_host_rule(std::string_view text) {
  std::string host(text);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host.empty()) return refuse(text, "empty");
  if (host.front() == '[' || std::count(host.begin(), host.end(), ':') > 1) {
    return refuse(text, "IP addresses are not allowed, only names");
  }
  auto port = split_port(host, text);
  if (!port) return port.error();
  if (looks_like_ip_literal(host)) return refuse(text, "IP addresses are not allowed, only names");

  HostRule rule;
  rule.port = *port;
  if (host.starts_with("*.")) {
    rule.wildcard = true;
    host.erase(0, 2);
    if (host.find('.') == std::string::npos) {
      return refuse(text, "a wildcard needs at least two labels after '*.'");
    }
  }
  if (host.ends_with(".")) return refuse(text, "remove the trailing dot");
  if (!valid_name(host)) return refuse(text, "not a valid host name");
  rule.name = std::move(host);
  return rule;
}

Result<SocketAddress> read_resolv_conf(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"read '" + path + "': cannot open"};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    if (auto addr = parse_ip(value)) return SocketAddress{*addr, 53};
  }
  return Error{"read '" + path + "': no nameserver line"};
}

}  // namespace bbox::net
