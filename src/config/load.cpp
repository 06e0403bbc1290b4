// Built-in defaults, the global file, and loading both files from disk.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/config/config.h"

namespace bbox::config {
namespace {

const Source kG = Source::kGlobal;

template <typename T>
void take(Sourced<T>& dst, const std::optional<T>& v) {
  if (v) dst.set(*v, kG);
}

void apply_global_settings(EffectiveConfig& e, const FileConfig& g) {
  take(e.cpus, g.cpus);
  take(e.memory_mib, g.memory_mib);
  take(e.tmp_size_mib, g.tmp_size_mib);
  if (g.egress_profile) e.egress_profile.set(g.egress_profile, kG);
  take(e.workspace_mode, g.workspace_mode);
  take(e.review_enabled, g.review_enabled);
  if (!g.exclude_patterns.empty()) e.exclude_patterns.set(g.exclude_patterns, kG);
  if (!g.allow_hosts.empty()) e.allow_hosts.set(g.allow_hosts, kG);
  take(e.pull, g.pull);
  take(e.mcp_enabled, g.mcp_enabled);
  take(e.mcp_group, g.mcp_group);
  take(e.mcp_port, g.mcp_port);
  take(e.mcp_authz_profile, g.mcp_authz_profile);
  if (g.mcp_has_config) e.mcp_custom_config.set(true, kG);
  take(e.mcp_session_ttl, g.mcp_session_ttl);
  take(e.git_forward_token, g.git_forward_token);
  take(e.git_forward_ssh_agent, g.git_forward_ssh_agent);
  take(e.settings_import, g.settings_import.enabled);
  for (const auto& [cat, on] : g.settings_import.categories) e.settings_categories[cat].set(on, kG);
  take(e.save_credentials, g.save_credentials);
  take(e.seed_host_credentials, g.seed_host_credentials);
}

// agents.<built-in> in the global file: the operator's override.
void override_builtin(Agent& a, const AgentOverride& o) {
  if (o.description) a.description.set(*o.description, kG);
  if (o.image) a.image.set(*o.image, kG);
  if (o.command && !o.command->empty()) a.command.set(*o.command, kG);
  if (o.env_forward) a.env_forward.set(*o.env_forward, kG);
  if (o.env_required) a.env_required.set(*o.env_required, kG);
  if (!o.default_env.empty()) a.default_env.set(o.default_env, kG);
  if (!o.egress_hosts.empty()) {
    auto hosts = a.egress_hosts.value;
    for (const auto& [profile, entries] : o.egress_hosts) hosts[profile] = expand_hosts(entries);
    a.egress_hosts.set(std::move(hosts), kG);
  }
}

// Fields every agent takes the same way from agents.<name>.
void override_common(Agent& a, const AgentOverride& o) {
  take(a.cpus, o.cpus);
  take(a.memory_mib, o.memory_mib);
  take(a.tmp_size_mib, o.tmp_size_mib);
  take(a.egress_profile, o.egress_profile);
  if (!o.allow_hosts.empty()) a.allow_hosts.set(expand_hosts(o.allow_hosts), kG);
  if (o.mcp && o.mcp->enabled) a.mcp_enabled.set(o.mcp->enabled, kG);
  if (o.mcp && o.mcp->authz_profile) a.mcp_authz_profile.set(*o.mcp->authz_profile, kG);
  if (o.settings_import) a.settings_import = o.settings_import;
}

// Global defaults reach every agent whose own value is still built-in.
void apply_defaults_to_agents(EffectiveConfig& e) {
  for (Agent& a : e.agents) {
    if (a.cpus.source == Source::kBuiltin) a.cpus = e.cpus;
    if (a.memory_mib.source == Source::kBuiltin) a.memory_mib = e.memory_mib;
    if (a.tmp_size_mib.source == Source::kBuiltin) a.tmp_size_mib = e.tmp_size_mib;
    if (a.egress_profile.source == Source::kBuiltin && e.egress_profile.value) {
      a.egress_profile.set(*e.egress_profile.value, e.egress_profile.source);
    }
  }
}

Result<std::optional<FileConfig>> load_global(const LoadOptions& o) {
  std::filesystem::path path = o.config_path.value_or(paths::config_dir() / "config.yaml");
  struct stat st {};
  if (!o.config_path && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return std::optional<FileConfig>();
  }
  Result<FileConfig> f = read_config_file(path, /*refuse_links=*/false);
  if (!f) return f.error();
  return std::optional<FileConfig>(std::move(*f));
}

Result<std::optional<FileConfig>> load_workspace(const std::filesystem::path& dir,
                                                 std::vector<Notice>& notices) {
  std::filesystem::path path = dir / ".broodbox.yaml";
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<FileConfig>();
    return errno_error("read " + ui::quoted(path.string()), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{fmt::format(
        "refuse to read {}: {}; a workspace config file must be a regular "
        "file",
        ui::quoted(path.string()), S_ISLNK(st.st_mode) ? "it is a symlink" : "not a regular file")};
  }
  Result<FileConfig> f = read_config_file(path, /*refuse_links=*/true);
  if (!f) {
    // No key: the notice is about the whole file; the message names it.
    notices.push_back(Notice{"", "", f.error().message});
    return std::optional<FileConfig>();
  }
  return std::optional<FileConfig>(std::move(*f));
}

}  // namespace

std::string Notice::str() const {
  if (key.empty()) return reason + "; the whole workspace file is ignored";
  if (value.empty()) return fmt::format("ignoring {}: {}", key, reason);
  return fmt::format("ignoring {} {}: {}", key, ui::quoted(value), reason);
}

const Agent* EffectiveConfig::find_agent(const std::string& name) const {
  for (const Agent& a : agents) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

Agent* EffectiveConfig::find_agent(const std::string& name) {
  return const_cast<Agent*>(std::as_const(*this).find_agent(name));
}

std::vector<std::string> EffectiveConfig::agent_names() const {
  std::vector<std::string> out;
  for (const Agent& a : agents) out.push_back(a.name);
  return out;
}

EffectiveConfig builtin_config() {
  EffectiveConfig e;
  e.agents = builtin_agents();
  return e;
}

void apply_global(EffectiveConfig& e, const FileConfig& g) {
  e.global_file = g.path;
  apply_global_settings(e, g);
  for (const auto& [name, o] : g.agents) {
    if (Agent* a = e.find_agent(name); a != nullptr && a->builtin) {
      override_builtin(*a, o);
      override_common(*a, o);
      continue;
    }
    if (Status s = validate_custom_agent(name, o); !s) {
      e.invalid_agents[name] = s.error().message;
      continue;
    }
    Agent a = custom_agent(name, o);
    override_common(a, o);
    e.agents.push_back(std::move(a));
  }
  apply_defaults_to_agents(e);
}

Result<EffectiveConfig> load_config(const LoadOptions& options) {
  EffectiveConfig e = builtin_config();
  Result<std::optional<FileConfig>> global = load_global(options);
  if (!global) return global.error();
  if (*global) {
    apply_global(e, **global);
  }
  if (!options.workspace_dir) return e;
  Result<std::optional<FileConfig>> ws = load_workspace(*options.workspace_dir, e.notices);
  if (!ws) return ws.error();
  if (*ws) apply_workspace(e, **ws);
  return e;
}

void report_notices(const EffectiveConfig& e) {
  for (const Notice& n : e.notices) {
    if (n.key.empty()) {
      ui::warning("{}", n.str());
    } else {
      ui::warning(".broodbox.yaml: {}", n.str());
    }
  }
}

}  // namespace bbox::config
