// Parsers for the values users type into flags and config files: sizes,
// env-forward patterns, egress profiles, pull policies, workspace modes and
// allowed hosts. Each returns an Error whose message says what was expected,
// so callers only prefix the flag or key name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/session/session.h"

namespace bbox::config {

using session::AllowedHost;
using session::EgressProfile;
using session::PullPolicy;
using session::WorkspaceMode;

// Upper bounds on what a session may ask for (Brood Box's limits).
inline constexpr int kMaxCpus = 128;
inline constexpr uint64_t kMaxMemoryMib = 128 * 1024;
inline constexpr uint64_t kMaxTmpSizeMib = 64 * 1024;

// Brood Box's size syntax, in MiB: a bare number is MiB; suffixes m, mi, mib
// (MiB) and g, gi, gib (GiB), case-insensitive. Zero, negatives, fractions,
// unknown suffixes and values past 2^32-1 MiB are refused.
Result<uint64_t> parse_size_mib(std::string_view text);
// "4g" for whole GiB, else "512m".
std::string format_size_mib(uint64_t mib);

// A whole number of vCPUs from 1 to kMaxCpus.
Result<int> parse_cpus(std::string_view text);

// True when name is a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name);
// An env-forward pattern is an exact name ("HOME") or a name prefix followed by
// one trailing star ("AWS_*"). A bare "*", a leading or middle star, an empty
// pattern and characters outside env names are refused.
Status validate_env_pattern(std::string_view pattern);
// True when the variable name matches the (valid) pattern.
bool env_pattern_matches(std::string_view pattern, std::string_view name);
// True when every name `sub` matches is also matched by `sup`.
bool env_pattern_subset(std::string_view sub, std::string_view sup);

// permissive | standard | locked.
Result<EgressProfile> parse_egress_profile(std::string_view text);
const char* egress_profile_name(EgressProfile profile);
// Strictness rank: permissive 0, standard 1, locked 2.
int egress_strictness(EgressProfile profile);

// always | if-not-present | never. With allow_background, Brood Box's
// "background" policy is accepted as if-not-present (config files only).
Result<PullPolicy> parse_pull_policy(std::string_view text, bool allow_background = false);
const char* pull_policy_name(PullPolicy policy);

// snapshot | direct.
Result<WorkspaceMode> parse_workspace_mode(std::string_view text);
const char* workspace_mode_name(WorkspaceMode mode);

// A DNS hostname the egress filter can enforce: lowercase letters, digits,
// '-' and '_' in labels of 1..63, at most 253 characters, an optional "*."
// wildcard as the whole leftmost label followed by at least two labels. IP
// addresses in every spelling (dotted, shortened, decimal, octal, hex, IPv6,
// bracketed, IPv4-mapped), a bare "*" and a trailing dot are refused. The
// name is lowercased.
Result<std::string> validate_hostname(std::string_view name);
// HOST[:PORT] as --allow-host takes it; PORT is 1..65535, absent means any.
Result<AllowedHost> parse_allow_host(std::string_view text);
// "host" or "host:port".
std::string format_allowed_host(const AllowedHost& host);

// A TCP port 1..65535.
Result<uint16_t> parse_port(std::string_view text);

}  // namespace bbox::config
