// Hostname rules for the egress allowlist. The filter is DNS-based: it opens
// only addresses reached by resolving an allowed name, so an address literal
// can never be allowed, whatever its spelling.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/config/parse.h"

namespace bbox::config {
namespace {

bool is_label_char(unsigned char c) {
  return std::isdigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

// True for every spelling inet_aton accepts (127.0.0.1, 127.1, 2130706433,
// 0x7f.1, 0177.0.0.1) and for IPv6 text.
bool looks_like_address(const std::string& name) {
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

}  // namespace

Result<std::string> validate_hostname(std::string_view raw) {
  std::string name(raw);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string ip_refused = fmt::format(
      "{}: IP addresses are not allowed: the egress filter is DNS-based and takes hostnames",
      ui::quoted(raw));
  if (name.empty()) return Error{"empty hostname: expected a name such as api.example.com"};
  if (name == "*") return Error{"'*' allows everything: use a wildcard such as *.example.com"};
  if (name.front() == '[' || looks_like_address(name)) return Error{ip_refused};
  if (name.back() == '.') {
    return Error{fmt::format("{}: trailing dot: write the name without it", ui::quoted(raw))};
  }
  if (name.size() > 253) return Error{fmt::format("{}: longer than 253", ui::quoted(raw))};

  std::vector<std::string_view> labels = split_labels(name);
  if (numeric_or_hex(labels.back())) return Error{ip_refused};
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == "*" && i == 0) continue;
    if (labels[i].find('*') != std::string_view::npos) {
      return Error{
          fmt::format("{}: a wildcard must be the whole leftmost label, as in "
                      "*.example.com",
                      ui::quoted(raw))};
    }
    if (Status s = check_label(labels[i], raw); !s) return s.error();
  }
  if (labels[0] == "*" && labels.size() < 3) {
    return Error{
        fmt::format("{}: a wildcard needs at least two labels after it, as in "
                    "*.example.com",
                    ui::quoted(raw))};
  }
  return name;
}

Result<AllowedHost> parse_allow_host(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    return Error{
        fmt::format("{}: IP addresses are not allowed: the egress filter is DNS-based "
                    "and takes hostnames",
                    ui::quoted(text))};
  }
  std::string_view host = text;
  std::string_view port;
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  Result<std::string> name = validate_hostname(host);
  if (!name) return name.error();
  AllowedHost out{*name, 0};
  if (colon != std::string_view::npos && host.size() != text.size()) {
    Result<uint16_t> p = parse_port(port);
    if (!p) return p.error();
    out.port = *p;
  }
  return out;
}

std::string format_allowed_host(const AllowedHost& host) {
  if (host.port == 0) return host.host;
  return fmt::format("{}:{}", host.host, host.port);
}

}  // namespace bbox::config
