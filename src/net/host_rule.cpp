#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bbox/common/message.h"
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

bool is_label_char(unsigned char c) {
  return std::isdigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

// True for every spelling inet_aton accepts (127.0.0.1, 127.1, 2130706433,
// 0x7f.1, 0177.0.0.1) and for IPv6 text.
bool looks_like_address(const std::string& name) {
  if (looks_like_ip_literal(name)) return true;
  in_addr v4{};
  in6_addr v6{};
  // inet_aton/inet_pton only parse the string; no network access.
  if (::inet_aton(name.c_str(), &v4) != 0) return true;
  if (::inet_pton(AF_INET6, name.c_str(), &v6) == 1) return true;
  return name.find(':') != std::string::npos;
}

Status check_label(std::string_view label, std::string_view name) {
  if (label.empty()) return Error{fmt::format("{}: empty label", ui::quoted(name))};
  if (label.size() > 63) return Error{fmt::format("{}: label longer than 63", ui::quoted(name))};
  if (label.front() == '-' || label.back() == '-') {
    return Error{fmt::format("{}: a label starts or ends with '-'", ui::quoted(name))};
  }
  for (unsigned char c : label) {
    if (!is_label_char(c)) {
      return Error{fmt::format("{}: invalid character {}", ui::quoted(name),
                               ui::quoted(std::string(1, static_cast<char>(c))))};
    }
  }
  return ok_status();
}

std::vector<std::string_view> split_labels(std::string_view name) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      labels.push_back(name.substr(start, i - start));
      start = i + 1;
    }
  }
  return labels;
}

bool numeric_or_hex(std::string_view label) {
  if (label.size() > 2 && label[0] == '0' && (label[1] == 'x')) return true;
  return std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isdigit(c); });
}

Error ip_refused(std::string_view raw) {
  return Error{fmt::format(
      "{}: IP addresses are not allowed: the egress filter is DNS-based and takes hostnames",
      ui::quoted(raw))};
}

}  // namespace

Result<std::string> validate_hostname(std::string_view raw) {
  std::string name(raw);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name.empty()) return Error{"empty hostname: expected a name such as api.example.com"};
  if (name == "*") return Error{"'*' allows everything: use a wildcard such as *.example.com"};
  if (name.front() == '[' || looks_like_address(name)) return ip_refused(raw);
  if (name.back() == '.') {
    return Error{fmt::format("{}: trailing dot: write the name without it", ui::quoted(raw))};
  }
  if (name.size() > 253) return Error{fmt::format("{}: longer than 253", ui::quoted(raw))};

  std::vector<std::string_view> labels = split_labels(name);
  if (numeric_or_hex(labels.back())) return ip_refused(raw);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == "*" && i == 0) continue;
    if (labels[i].find('*') != std::string_view::npos) {
      return Error{fmt::format(
          "{}: a wildcard must be the whole leftmost label, as in *.example.com", ui::quoted(raw))};
    }
    if (Status s = check_label(labels[i], raw); !s) return s.error();
  }
  if (labels[0] == "*" && labels.size() < 3) {
    return Error{fmt::format(
        "{}: a wildcard needs at least two labels after it, as in *.example.com", ui::quoted(raw))};
  }
  return name;
}

Result<HostRule> parse_host_rule(std::string_view text) {
  if (!text.empty() && text.front() == '[') return ip_refused(text);
  std::string_view host = text;
  std::optional<std::string_view> port;
  size_t colon = text.find(':');
  // One colon separates a port; more than one is IPv6 text, refused below.
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  Result<std::string> name = validate_hostname(host);
  if (!name) return name.error();
  HostRule rule;
  if (port) {
    unsigned long v = 0;
    bool digits = !port->empty() && port->size() <= 5 &&
                  port->find_first_not_of("0123456789") == std::string_view::npos;
    if (digits) v = std::stoul(std::string(*port));
    if (!digits || v == 0 || v > 65535) {
      return Error{fmt::format("port {}: expected a number from 1 to 65535",
                               ui::quoted(*port))};
    }
    rule.port = static_cast<uint16_t>(v);
  }
  if (name->starts_with("*.")) {
    rule.wildcard = true;
    name->erase(0, 2);
  }
  rule.name = std::move(*name);
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
