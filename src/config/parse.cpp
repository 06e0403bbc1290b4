#include "bbox/config/parse.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "bbox/common/message.h"

namespace bbox::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Parses a run of decimal digits into a uint64_t; fails on overflow.
bool parse_u64(std::string_view digits, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

}  // namespace

Result<uint64_t> parse_size_mib(std::string_view text) {
  std::string_view s = trim(text);
  size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  const std::string expected = "expected a positive size such as 512 (MiB), 512m or 4g";
  if (n == 0) return Error{fmt::format("{}: {}", ui::quoted(text), expected)};
  uint64_t value = 0;
  if (!parse_u64(s.substr(0, n), value) || value > std::numeric_limits<uint32_t>::max()) {
    return Error{fmt::format("{}: too large: {}", ui::quoted(text), expected)};
  }
  std::string suffix = lower(trim(s.substr(n)));
  uint64_t mib = 0;
  if (suffix.empty() || suffix == "m" || suffix == "mi" || suffix == "mib") {
    mib = value;
  } else if (suffix == "g" || suffix == "gi" || suffix == "gib") {
    mib = value * 1024;
  } else {
    return Error{fmt::format("{}: unknown unit: {}", ui::quoted(text), expected)};
  }
  if (mib == 0) return Error{fmt::format("{}: zero: {}", ui::quoted(text), expected)};
  if (mib > std::numeric_limits<uint32_t>::max()) {
    return Error{fmt::format("{}: too large: {}", ui::quoted(text), expected)};
  }
  return mib;
}

std::string format_size_mib(uint64_t mib) {
  if (mib != 0 && mib % 1024 == 0) return fmt::format("{}g", mib / 1024);
  return fmt::format("{}m", mib);
}

Result<int> parse_cpus(std::string_view text) {
  std::string_view s = trim(text);
  uint64_t v = 0;
  if (!all_digits(s) || !parse_u64(s, v) || v < 1 || v > static_cast<uint64_t>(kMaxCpus)) {
    return Error{fmt::format("{}: expected a whole number of vCPUs from 1 to {}", ui::quoted(text),
                             kMaxCpus)};
  }
  return static_cast<int>(v);
}

bool is_env_name(std::string_view name) {
  if (name.empty()) return false;
  auto head = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(head) || head == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return c < 0x80 && (std::isalnum(c) || c == '_'); });
}

Status validate_env_pattern(std::string_view pattern) {
  const char* expected =
      "expected an exact variable name or a prefix with one trailing star, "
      "such as AWS_*";
  if (pattern.empty()) return Error{fmt::format("empty pattern: {}", expected)};
  if (pattern == "*") {
    return Error{fmt::format("'*' would forward every host variable: {}", expected)};
  }
  std::string_view stem = pattern;
  if (stem.back() == '*') stem.remove_suffix(1);
  if (stem.find('*') != std::string_view::npos) {
    return Error{
        fmt::format("{}: a star is allowed only at the end: {}", ui::quoted(pattern), expected)};
  }
  if (!is_env_name(stem)) {
    return Error{fmt::format("{}: not a valid variable name: {}", ui::quoted(pattern), expected)};
  }
  return ok_status();
}

bool env_pattern_matches(std::string_view pattern, std::string_view name) {
  if (!validate_env_pattern(pattern).ok()) return false;
  if (pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return name.substr(0, prefix.size()) == prefix;
  }
  return pattern == name;
}

bool env_pattern_subset(std::string_view sub, std::string_view sup) {
  if (!validate_env_pattern(sub).ok() || !validate_env_pattern(sup).ok()) return false;
  if (sup.back() != '*') return sub == sup;
  std::string_view prefix = sup.substr(0, sup.size() - 1);
  std::string_view sub_stem = sub.back() == '*' ? sub.substr(0, sub.size() - 1) : sub;
  return sub_stem.substr(0, prefix.size()) == prefix;
}

Result<EgressProfile> parse_egress_profile(std::string_view text) {
  if (text == "permissive") return EgressProfile::kPermissive;
  if (text == "standard") return EgressProfile::kStandard;
  if (text == "locked") return EgressProfile::kLocked;
  return Error{fmt::format("{}: expected permissive, standard or locked", ui::quoted(text))};
}

const char* egress_profile_name(EgressProfile profile) {
  switch (profile) {
    case EgressProfile::kPermissive:
      return "permissive";
    case EgressProfile::kStandard:
      return "standard";
    case EgressProfile::kLocked:
      return "locked";
  }
  return "?";
}

int egress_strictness(EgressProfile profile) {
  switch (profile) {
    case EgressProfile::kPermissive:
      return 0;
    case EgressProfile::kStandard:
      return 1;
    case EgressProfile::kLocked:
      return 2;
  }
  return 0;
}

Result<PullPolicy> parse_pull_policy(std::string_view text, bool allow_background) {
  if (text == "always") return PullPolicy::kAlways;
  if (text == "if-not-present") return PullPolicy::kIfNotPresent;
  if (text == "never") return PullPolicy::kNever;
  if (allow_background && text == "background") return PullPolicy::kIfNotPresent;
  return Error{fmt::format("{}: expected always, if-not-present or never", ui::quoted(text))};
}

const char* pull_policy_name(PullPolicy policy) {
  switch (policy) {
    case PullPolicy::kAlways:
      return "always";
    case PullPolicy::kIfNotPresent:
      return "if-not-present";
    case PullPolicy::kNever:
      return "never";
  }
  return "?";
}

Result<WorkspaceMode> parse_workspace_mode(std::string_view text) {
  if (text == "snapshot") return WorkspaceMode::kSnapshot;
  if (text == "direct") return WorkspaceMode::kDirect;
  return Error{fmt::format("{}: expected snapshot or direct", ui::quoted(text))};
}

const char* workspace_mode_name(WorkspaceMode mode) {
  return mode == WorkspaceMode::kDirect ? "direct" : "snapshot";
}

Result<uint16_t> parse_port(std::string_view text) {
  uint64_t v = 0;
  if (!all_digits(text) || !parse_u64(text, v) || v < 1 || v > 65535) {
    return Error{fmt::format("port {}: expected a number from 1 to 65535", ui::quoted(text))};
  }
  return static_cast<uint16_t>(v);
}

}  // namespace bbox::config
