// Agents: the five built-ins as Brood Box defines them, and custom agents
// declared under agents.<name> in the global config. A resolved Agent
// carries, for each value, where it came from.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/config/file_config.h"
#include "bbox/config/source.h"

namespace bbox::config {

struct Agent {
  std::string name;
  bool builtin = false;
  std::string state_dir;  // login state kept in the guest home, e.g. ".claude"

  Sourced<std::string> description;
  Sourced<std::string> image;
  Sourced<std::vector<std::string>> command;
  Sourced<std::vector<std::string>> env_forward;
  Sourced<std::vector<std::string>> env_required;
  Sourced<std::map<std::string, std::string>> default_env;
  Sourced<int> cpus;
  Sourced<uint64_t> memory_mib;
  Sourced<uint64_t> tmp_size_mib;
  Sourced<EgressProfile> egress_profile;
  // Hosts each non-permissive profile allows (permissive allows all public).
  Sourced<std::map<EgressProfile, std::vector<AllowedHost>>> egress_hosts;
  Sourced<std::vector<AllowedHost>> allow_hosts;  // extra hosts for this agent
  Sourced<std::optional<bool>> mcp_enabled;       // unset: the global mcp.enabled
  Sourced<std::string> mcp_authz_profile;         // empty: the global profile
  std::optional<SettingsImport> settings_import;
  std::vector<SettingsEntry> settings;        // a custom agent's settings: entries
  std::vector<std::string> credential_paths;  // relative to the guest home
};

// The image every built-in uses, and the one bbox shell and make run boot.
inline constexpr const char* kBaseImage = "bbox-local/base:latest";

// The built-ins, in the order bbox list shows them.
const std::vector<Agent>& builtin_agents();
const Agent* find_builtin(const std::string& name);
bool is_builtin(const std::string& name);

// The development hosts the standard profile adds to an agent's provider.
std::vector<AllowedHost> standard_dev_hosts();

// Expands config host entries into one AllowedHost per port.
std::vector<AllowedHost> expand_hosts(const std::vector<HostEntry>& entries);

// Checks agents.<name> from the global config as a custom agent, the rules
// Brood Box applies: a valid name, an image, a command, valid env patterns
// and env_required names, no BBOX_* default_env, safe relative credential and
// settings paths, a known MCP mode and authz profile, and hosts for its
// egress profile unless permissive. The error names the rule broken.
Status validate_custom_agent(const std::string& name, const AgentOverride& o);

// Builds the Agent for a custom declaration (validated or not).
Agent custom_agent(const std::string& name, const AgentOverride& o);

// Agent names: start with a letter or digit, then letters, digits, '-' or
// '_', at most 64 characters.
Status validate_agent_name(const std::string& name);

}  // namespace bbox::config
