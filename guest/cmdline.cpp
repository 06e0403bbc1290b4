#include "cmdline.h"

#include "bbox/vm/guest_cmdline.h"

namespace bbox::guest {
namespace {

namespace gc = bbox::guest_cmdline;

bool parse_uint(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// Hostnames: letters, digits, '-' and '.', at most 63 characters.
bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void apply(BootConfig* cfg, std::string_view key, std::string_view value, std::string* warn) {
  auto bad = [&] { *warn += "ignoring bad " + std::string(key) + "\n"; };
  uint32_t ip = 0;
  if (key == gc::kRoot) {
    if (value.rfind("/dev/", 0) == 0)
      cfg->root = value;
    else
      bad();
  } else if (key == gc::kRootFsType) {
    if (value == "ext4" || value == "erofs")
      cfg->rootfstype = value;
    else
      bad();
  } else if (key == gc::kTmpMib) {
    if (!parse_uint(value, 1u << 24, &cfg->tmp_mib)) bad();
  } else if (key == gc::kHostname) {
    if (valid_hostname(value))
      cfg->hostname = value;
    else
      bad();
  } else if (key == gc::kIp) {
    size_t slash = value.find('/');
    uint64_t prefix = 24;
    if (parse_ipv4(value.substr(0, slash), &ip) &&
        (slash == std::string_view::npos || parse_uint(value.substr(slash + 1), 32, &prefix))) {
      cfg->ip = value.substr(0, slash);
      cfg->prefix_len = static_cast<int>(prefix);
    } else {
      bad();
    }
  } else if (key == gc::kGateway) {
    if (parse_ipv4(value, &ip))
      cfg->gateway = value;
    else
      bad();
  } else if (key == gc::kDns) {
    if (parse_ipv4(value, &ip))
      cfg->dns = value;
    else
      bad();
  }
}

}  // namespace

bool parse_ipv4(std::string_view text, uint32_t* host_order) {
  uint32_t out = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    size_t j = part < 3 ? text.find('.', i) : text.size();
    if (j == std::string_view::npos) return false;
    uint64_t v = 0;
    if (j - i > 3 || !parse_uint(text.substr(i, j - i), 255, &v)) return false;
    out = (out << 8) | static_cast<uint32_t>(v);
    i = j + 1;
  }
  *host_order = out;
  return true;
}

BootConfig parse_cmdline(std::string_view cmdline, std::string* warnings) {
  BootConfig cfg;
  size_t i = 0;
  while (i < cmdline.size()) {
    size_t j = cmdline.find_first_of(" \t\n", i);
    if (j == std::string_view::npos) j = cmdline.size();
    std::string_view word = cmdline.substr(i, j - i);
    size_t eq = word.find('=');
    if (eq != std::string_view::npos && word.rfind("bbox.", 0) == 0) {
      apply(&cfg, word.substr(0, eq), word.substr(eq + 1), warnings);
    }
    i = j + 1;
  }
  return cfg;
}

}  // namespace bbox::guest
