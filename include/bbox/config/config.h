// The effective configuration: built-in defaults, then the global file, then
// the workspace file (tighten-only), each value remembering its source. Flags
// are applied on top by the CLI with Source::kFlag.
//
// The workspace file (.broodbox.yaml) comes with the repository and is not
// trusted: it may lower resources, tighten egress, turn review on and turn
// forwarding off, never the reverse. Whatever it tries beyond that is
// ignored and reported as a Notice naming the key and the reason.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/config/agent.h"
#include "bbox/config/file_config.h"
#include "bbox/config/source.h"

namespace bbox::config {

// One workspace key that was ignored or narrowed.
struct Notice {
  std::string key;          // e.g. "workspace.mode"; empty: the whole file
  std::string value;        // the value the file asked for, made printable
  std::string reason;       // e.g. "a workspace file cannot turn on direct mode"
  std::string str() const;  // "ignoring workspace.mode 'direct': a workspace file ..."
};

struct EffectiveConfig {
  std::optional<std::filesystem::path> global_file;     // read, if any
  std::optional<std::filesystem::path> workspace_file;  // read and applied, if any

  Sourced<int> cpus{2};
  Sourced<uint64_t> memory_mib{4096};
  Sourced<uint64_t> tmp_size_mib{2048};
  Sourced<std::optional<EgressProfile>> egress_profile;  // unset: each agent's default
  Sourced<WorkspaceMode> workspace_mode{WorkspaceMode::kSnapshot};
  Sourced<bool> review_enabled{false};
  Sourced<std::vector<std::string>> exclude_patterns;
  Sourced<std::vector<HostEntry>> allow_hosts;
  Sourced<PullPolicy> pull{PullPolicy::kIfNotPresent};
  Sourced<bool> mcp_enabled{true};
  Sourced<std::string> mcp_group{"default"};
  Sourced<uint16_t> mcp_port{4483};
  Sourced<std::string> mcp_authz_profile{"full-access"};
  Sourced<bool> mcp_custom_config{false};
  Sourced<std::string> mcp_session_ttl{"12h"};
  Sourced<bool> git_forward_token{true};
  Sourced<bool> git_forward_ssh_agent{true};
  Sourced<bool> settings_import{true};
  std::map<std::string, Sourced<bool>> settings_categories;  // only those set
  Sourced<bool> save_credentials{true};
  Sourced<bool> seed_host_credentials{false};

  std::vector<Agent> agents;                          // built-ins first, then custom, by name
  std::map<std::string, std::string> invalid_agents;  // custom name -> rule broken
  std::vector<Notice> notices;                        // workspace keys ignored or narrowed

  const Agent* find_agent(const std::string& name) const;
  Agent* find_agent(const std::string& name);
  // Names of every runnable agent, in list order.
  std::vector<std::string> agent_names() const;
};

struct LoadOptions {
  // --config: this file must exist. Unset: config_dir()/config.yaml, optional.
  std::optional<std::filesystem::path> config_path;
  // Where to look for .broodbox.yaml; unset: no workspace file.
  std::optional<std::filesystem::path> workspace_dir;
};

// Loads and merges. Errors: an unreadable, empty, oversized, binary or
// malformed global file; a workspace file that is a symlink or not a regular
// file. A workspace file that does not parse is ignored with a Notice.
Result<EffectiveConfig> load_config(const LoadOptions& options);

// The merge steps, exposed for tests.
EffectiveConfig builtin_config();
void apply_global(EffectiveConfig& e, const FileConfig& global);
void apply_workspace(EffectiveConfig& e, const FileConfig& workspace);

// Writes each notice to stderr once, as a warning naming the workspace file.
void report_notices(const EffectiveConfig& e);

// The stricter of two MCP authz profiles (observe < safe-tools < full-access).
std::string stricter_authz(const std::string& a, const std::string& b);

// The commented default global config `bbox config init` writes.
std::string default_config_text();

}  // namespace bbox::config
