// What one configuration file says, before merging. The global file
// ($XDG_CONFIG_HOME/broodbox/config.yaml) and the workspace file
// (.broodbox.yaml) share this shape, which is Brood Box's: defaults,
// workspace, review, network, image, mcp, git, settings_import, auth,
// runtime and agents. An absent key is an empty optional.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/config/parse.h"

namespace bbox::config {

// Where a key was written: "file:line:column", for messages.
struct Where {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string str() const;
};

// An allowed egress host as config files spell it (network.allow_hosts,
// agents.X.allow_hosts, agents.X.egress_hosts.PROFILE).
struct HostEntry {
  std::string name;             // validated, lowercased hostname
  std::vector<uint16_t> ports;  // empty: any port
  uint8_t protocol = 0;         // 0 both, 6 TCP, 17 UDP (Brood Box's field)
};

struct SettingsImport {
  std::optional<bool> enabled;
  std::map<std::string, bool> categories;  // settings, instructions, rules, ...
};

// A custom agent's settings entry (settings: [...]).
struct SettingsEntry {
  std::string category, host_path, guest_path, kind, format;
  bool optional = false;
  std::vector<std::string> allow_keys;
};

struct AgentMcp {
  std::optional<bool> enabled;
  std::optional<std::string> mode;           // "", env, config
  std::optional<std::string> authz_profile;  // full-access, observe, safe-tools, custom
  size_t inject_entries = 0;
};

// agents.<name>: an override of a built-in agent or a whole custom agent.
struct AgentOverride {
  Where where;
  std::optional<std::string> image, description;
  std::optional<std::vector<std::string>> command, env_forward, env_required;
  std::map<std::string, std::string> default_env;
  std::vector<std::string> credentials_persist;
  std::vector<SettingsEntry> settings;
  std::optional<int> cpus;
  std::optional<uint64_t> memory_mib, tmp_size_mib;
  std::optional<EgressProfile> egress_profile;
  std::map<EgressProfile, std::vector<HostEntry>> egress_hosts;
  std::vector<HostEntry> allow_hosts;
  std::optional<AgentMcp> mcp;
  std::optional<SettingsImport> settings_import;
};

struct FileConfig {
  std::filesystem::path path;

  // defaults
  std::optional<int> cpus;
  std::optional<uint64_t> memory_mib, tmp_size_mib;
  std::optional<EgressProfile> egress_profile;
  // workspace
  std::optional<WorkspaceMode> workspace_mode;
  // review
  std::optional<bool> review_enabled;
  std::vector<std::string> exclude_patterns;
  // network
  std::vector<HostEntry> allow_hosts;
  // image
  std::optional<PullPolicy> pull;
  // mcp
  std::optional<bool> mcp_enabled;
  std::optional<std::string> mcp_group;
  std::optional<uint16_t> mcp_port;
  bool mcp_has_config = false;  // mcp.config: an inline Cedar policy / aggregation block
  std::optional<std::string> mcp_authz_profile;
  std::optional<std::string> mcp_session_ttl;
  // git
  std::optional<bool> git_forward_token, git_forward_ssh_agent;
  // settings_import
  SettingsImport settings_import;
  // auth
  std::optional<bool> save_credentials, seed_host_credentials;
  // runtime (Brood Box's firmware download; accepted, has no effect in bbox)
  std::optional<bool> firmware_download;
  // agents
  std::map<std::string, AgentOverride> agents;
};

// The largest config file bbox reads.
inline constexpr uint64_t kMaxConfigBytes = 1024 * 1024;

// Parses YAML text strictly: unknown keys, duplicate keys and values of the
// wrong type are errors shaped "FILE:LINE:COLUMN: KEY: what was expected".
// An empty or whitespace-only text is an error; a text of comments only is
// an empty configuration.
Result<FileConfig> parse_config_text(const std::string& text, const std::string& file);

// Reads and parses one file: a regular file of at most kMaxConfigBytes, of
// UTF-8 text. With refuse_links (the workspace file), a symlink or any other
// non-regular file is refused before it is opened.
Result<FileConfig> read_config_file(const std::filesystem::path& path, bool refuse_links);

}  // namespace bbox::config
