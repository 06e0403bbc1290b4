// Custom agents declared in the global config: validation and mapping.
#include <fmt/format.h>

#include <regex>

#include "bbox/common/message.h"
#include "bbox/config/agent.h"

namespace bbox::config {
namespace {

Error rule(const std::string& name, const std::string& text) {
  return Error{fmt::format("agent {}: {}", ui::quoted(name), text)};
}

// A path relative to the guest (or host) home that cannot leave it.
Status safe_relative_path(const std::string& p) {
  if (p.empty()) return Error{"empty path"};
  if (p.front() == '/')
    return Error{
        fmt::format("{} is absolute: expected a path relative to "
                    "the home folder",
                    ui::quoted(p))};
  std::filesystem::path clean = std::filesystem::path(p).lexically_normal();
  if (clean == "." || clean.empty())
    return Error{fmt::format("{} is the home folder itself", ui::quoted(p))};
  for (const auto& part : std::filesystem::path(p)) {
    if (part == "..") return Error{fmt::format("{} contains '..'", ui::quoted(p))};
  }
  return ok_status();
}

Status check_env(const std::string& name, const AgentOverride& o) {
  for (size_t i = 0; o.env_forward && i < o.env_forward->size(); ++i) {
    if (Status s = validate_env_pattern((*o.env_forward)[i]); !s) {
      return rule(name, fmt::format("env_forward[{}]: {}", i, s.error().message));
    }
  }
  for (size_t i = 0; o.env_required && i < o.env_required->size(); ++i) {
    if (!is_env_name((*o.env_required)[i])) {
      return rule(name, fmt::format("env_required[{}]: {} is not a valid variable name", i,
                                    ui::quoted((*o.env_required)[i])));
    }
  }
  for (const auto& [key, value] : o.default_env) {
    if (!is_env_name(key)) {
      return rule(name,
                  fmt::format("default_env: {} is not a valid variable name", ui::quoted(key)));
    }
    if (key.rfind("BBOX_", 0) == 0) {
      return rule(name, fmt::format("default_env: {} is reserved: bbox sets BBOX_* variables",
                                    ui::quoted(key)));
    }
  }
  return ok_status();
}

Status check_paths(const std::string& name, const AgentOverride& o) {
  for (size_t i = 0; i < o.credentials_persist.size(); ++i) {
    if (Status s = safe_relative_path(o.credentials_persist[i]); !s) {
      return rule(name, fmt::format("credentials.persist[{}]: {}", i, s.error().message));
    }
  }
  for (size_t i = 0; i < o.settings.size(); ++i) {
    const SettingsEntry& e = o.settings[i];
    if (Status s = safe_relative_path(e.host_path); !s) {
      return rule(name, fmt::format("settings[{}].host_path: {}", i, s.error().message));
    }
    std::string guest = e.guest_path.empty() ? e.host_path : e.guest_path;
    if (Status s = safe_relative_path(guest); !s) {
      return rule(name, fmt::format("settings[{}].guest_path: {}", i, s.error().message));
    }
    if (!e.kind.empty() && e.kind != "file" && e.kind != "directory" && e.kind != "merge-file") {
      return rule(name, fmt::format("settings[{}].kind {}: expected file, directory or "
                                    "merge-file",
                                    i, ui::quoted(e.kind)));
    }
  }
  return ok_status();
}

Status check_mcp(const std::string& name, const AgentOverride& o) {
  if (!o.mcp) return ok_status();
  std::string mode = o.mcp->mode.value_or("");
  if (mode != "" && mode != "env" && mode != "config") {
    return rule(name, fmt::format("mcp.mode {}: expected env or config", ui::quoted(mode)));
  }
  std::string authz = o.mcp->authz_profile.value_or("");
  if (!authz.empty() && authz != "full-access" && authz != "observe" && authz != "safe-tools" &&
      authz != "custom") {
    return rule(name, fmt::format("mcp.authz.profile {}: expected full-access, observe, "
                                  "safe-tools or custom",
                                  ui::quoted(authz)));
  }
  if (mode != "config" && o.mcp->inject_entries > 0) {
    return rule(name, "mcp.inject requires mcp.mode: config");
  }
  if (mode == "config" && o.mcp->inject_entries == 0) {
    return rule(name, "mcp.mode: config requires at least one mcp.inject entry");
  }
  return ok_status();
}

}  // namespace

Status validate_agent_name(const std::string& name) {
  static const std::regex re("^[A-Za-z0-9][A-Za-z0-9_-]*$");
  if (name.empty()) return Error{"agent name is empty"};
  if (name.size() > 64) return rule(name, "name longer than 64 characters");
  if (!std::regex_match(name, re)) {
    return rule(name,
                "invalid name: expected a letter or digit, then letters, digits, '-' or "
                "'_'");
  }
  return ok_status();
}

Status validate_custom_agent(const std::string& name, const AgentOverride& o) {
  if (Status s = validate_agent_name(name); !s) return s;
  if (!o.image || o.image->empty()) return rule(name, "image is required");
  if (o.image->find_first_of(" \t\r\n") != std::string::npos) {
    return rule(name, fmt::format("image {}: not a valid image reference", ui::quoted(*o.image)));
  }
  if (!o.command || o.command->empty() || o.command->front().empty()) {
    return rule(name, "command is required");
  }
  if (Status s = check_env(name, o); !s) return s;
  if (Status s = check_paths(name, o); !s) return s;
  if (Status s = check_mcp(name, o); !s) return s;
  EgressProfile profile = o.egress_profile.value_or(EgressProfile::kStandard);
  bool mcp_only = o.mcp && (o.mcp->mode == "env" || o.mcp->mode == "config");
  auto hosts = o.egress_hosts.find(profile);
  if (profile != EgressProfile::kPermissive && !mcp_only &&
      (hosts == o.egress_hosts.end() || hosts->second.empty())) {
    const char* p = egress_profile_name(profile);
    return rule(name, fmt::format("egress profile {} requires egress_hosts.{} (or set "
                                  "egress_profile: permissive)",
                                  p, p));
  }
  return ok_status();
}

Agent custom_agent(const std::string& name, const AgentOverride& o) {
  Agent a;
  a.name = name;
  a.builtin = false;
  const Source g = Source::kGlobal;
  if (o.description) a.description.set(*o.description, g);
  if (o.image) a.image.set(*o.image, g);
  if (o.command) a.command.set(*o.command, g);
  if (o.env_forward) a.env_forward.set(*o.env_forward, g);
  if (o.env_required) a.env_required.set(*o.env_required, g);
  if (!o.default_env.empty()) a.default_env.set(o.default_env, g);
  a.cpus.value = 2;
  a.memory_mib.value = 4096;
  a.tmp_size_mib.value = 2048;
  a.egress_profile.value = EgressProfile::kStandard;
  std::map<EgressProfile, std::vector<AllowedHost>> hosts;
  for (const auto& [profile, entries] : o.egress_hosts) hosts[profile] = expand_hosts(entries);
  if (!hosts.empty()) a.egress_hosts.set(std::move(hosts), g);
  a.credential_paths = o.credentials_persist;
  a.settings = o.settings;
  a.mcp_authz_profile.value = "safe-tools";  // Brood Box's default for custom agents
  return a;
}

}  // namespace bbox::config
