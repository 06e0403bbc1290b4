// The boot parameters bbox passes on the kernel command line
// (include/bbox/vm/guest_cmdline.h has the names).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bbox::guest {

struct BootConfig {
  std::string root = "/dev/vda";
  std::string rootfstype = "ext4";
  uint64_t tmp_mib = 0;  // 0: the tmpfs default (half of RAM)
  std::string hostname = "bbox";
  // Network, when ip is set.
  std::string ip;  // "10.0.2.15"
  int prefix_len = 24;
  std::string gateway;  // may be empty
  std::string dns;      // may be empty
};

// Parses /proc/cmdline. Unknown words are ignored; a malformed value leaves
// the default and adds a line to `*warnings`.
BootConfig parse_cmdline(std::string_view cmdline, std::string* warnings);

// Parses a dotted IPv4 address; false when malformed.
bool parse_ipv4(std::string_view text, uint32_t* host_order);

}  // namespace bbox::guest
