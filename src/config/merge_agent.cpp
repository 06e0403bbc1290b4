// The tighten-only merge of agents.<name> from the workspace file.
#include <algorithm>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/config/config.h"

namespace bbox::config {
namespace {

const Source kW = Source::kWorkspace;

struct AgentNarrower {
  Agent& a;
  const std::string& key;
  std::vector<Notice>& notices;
  bool global_mcp_enabled;

  void ignore(const std::string& field, const std::string& value, const std::string& reason) {
    notices.push_back(Notice{key + "." + field, ui::printable(value), reason});
  }

  void identity(const AgentOverride& o) {
    const char* why = "only the global config defines an agent";
    if (o.image) ignore("image", *o.image, "a workspace file cannot change an agent's image");
    if (o.command) {
      std::string cmd = o.command->empty() ? "" : o.command->front();
      ignore("command", cmd, "a workspace file cannot change an agent's command");
    }
    if (o.description) ignore("description", "", why);
    if (!o.default_env.empty()) ignore("default_env", o.default_env.begin()->first, why);
    if (o.env_required) ignore("env_required", "", why);
    if (!o.egress_hosts.empty()) ignore("egress_hosts", "", "a workspace file cannot widen egress");
    if (!o.allow_hosts.empty()) {
      ignore("allow_hosts", o.allow_hosts.front().name,
             "a workspace file cannot add allowed hosts");
    }
    if (!o.credentials_persist.empty()) {
      ignore("credentials.persist", o.credentials_persist.front(), why);
    }
    if (!o.settings.empty()) ignore("settings", "", why);
  }

  // Keeps only the patterns the effective list already covers.
  void env_forward(const AgentOverride& o) {
    if (!o.env_forward) return;
    std::vector<std::string> kept;
    for (const std::string& p : *o.env_forward) {
      bool covered = std::any_of(a.env_forward.value.begin(), a.env_forward.value.end(),
                                 [&](const std::string& g) { return env_pattern_subset(p, g); });
      if (covered)
        kept.push_back(p);
      else
        ignore("env_forward", p, "a workspace file can only narrow env forwarding");
    }
    a.env_forward.set(std::move(kept), kW);
  }

  template <typename T>
  void lower(Sourced<T>& dst, const std::optional<T>& v, const char* field, std::string shown) {
    if (!v || *v == dst.value) return;
    if (*v < dst.value)
      dst.set(*v, kW);
    else
      ignore(field, shown, "a workspace file can lower resources, not raise them");
  }

  void resources(const AgentOverride& o) {
    lower(a.cpus, o.cpus, "cpus", o.cpus ? std::to_string(*o.cpus) : "");
    lower(a.memory_mib, o.memory_mib, "memory", o.memory_mib ? format_size_mib(*o.memory_mib) : "");
    lower(a.tmp_size_mib, o.tmp_size_mib, "tmp_size",
          o.tmp_size_mib ? format_size_mib(*o.tmp_size_mib) : "");
    if (o.egress_profile && *o.egress_profile != a.egress_profile.value) {
      if (egress_strictness(*o.egress_profile) > egress_strictness(a.egress_profile.value)) {
        a.egress_profile.set(*o.egress_profile, kW);
      } else {
        ignore("egress_profile", egress_profile_name(*o.egress_profile),
               "a workspace file cannot widen egress");
      }
    }
  }

  void mcp(const AgentOverride& o) {
    if (!o.mcp) return;
    if (o.mcp->enabled) {
      if (!*o.mcp->enabled)
        a.mcp_enabled.set(false, kW);
      else if (!a.mcp_enabled.value.value_or(global_mcp_enabled)) {
        ignore("mcp.enabled", "true", "a workspace file cannot turn on MCP forwarding");
      }
    }
    if (o.mcp->mode) ignore("mcp.mode", *o.mcp->mode, "only the global config sets it");
    if (o.mcp->inject_entries > 0) {
      ignore("mcp.inject", "", "a workspace file cannot set a custom MCP policy");
    }
    if (o.mcp->authz_profile && *o.mcp->authz_profile != a.mcp_authz_profile.value) {
      const std::string& p = *o.mcp->authz_profile;
      std::string current =
          a.mcp_authz_profile.value.empty() ? "full-access" : a.mcp_authz_profile.value;
      if (p == current) return;
      if (p != "custom" && stricter_authz(current, p) == p) {
        a.mcp_authz_profile.set(p, kW);
      } else {
        ignore("mcp.authz.profile", p,
               p == "custom" ? "a workspace file cannot set a custom MCP policy"
                             : "a workspace file can only make it stricter");
      }
    }
  }

  void settings(const AgentOverride& o) {
    if (!o.settings_import) return;
    SettingsImport merged = a.settings_import.value_or(SettingsImport{});
    if (o.settings_import->enabled) {
      if (!*o.settings_import->enabled)
        merged.enabled = false;
      else if (merged.enabled == std::optional<bool>(false)) {
        ignore("settings_import.enabled", "true", "a workspace file cannot turn it on");
      }
    }
    for (const auto& [cat, on] : o.settings_import->categories) {
      if (!on)
        merged.categories[cat] = false;
      else if (merged.categories.count(cat) != 0 && !merged.categories[cat]) {
        ignore("settings_import.categories." + cat, "true", "a workspace file cannot turn it on");
      }
    }
    a.settings_import = std::move(merged);
  }
};

}  // namespace

void narrow_agent(Agent& a, const AgentOverride& o, const std::string& key,
                  std::vector<Notice>& notices, bool global_mcp_enabled) {
  AgentNarrower n{a, key, notices, global_mcp_enabled};
  n.identity(o);
  n.env_forward(o);
  n.resources(o);
  n.mcp(o);
  n.settings(o);
}

}  // namespace bbox::config
