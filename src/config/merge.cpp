// The tighten-only merge of the workspace file (.broodbox.yaml). Every key it
// sets either narrows the effective value or is ignored with a Notice.
#include <algorithm>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/config/config.h"

namespace bbox::config {
namespace {

const Source kW = Source::kWorkspace;

const char* kLowerOnly = "a workspace file can lower resources, not raise them";
const char* kNoWiderEgress = "a workspace file cannot widen egress";

std::string yes_no(bool b) { return b ? "true" : "false"; }

class Narrower {
 public:
  explicit Narrower(std::vector<Notice>& notices) : notices_(notices) {}

  void ignore(const std::string& key, const std::string& value, const std::string& reason) {
    notices_.push_back(Notice{key, ui::printable(value), reason});
  }

  // A resource: only lower values are taken.
  template <typename T>
  void lower(Sourced<T>& dst, const std::optional<T>& v, const std::string& key,
             const std::string& shown) {
    if (!v || *v == dst.value) return;
    if (*v < dst.value)
      dst.set(*v, kW);
    else
      ignore(key, shown, kLowerOnly);
  }

  // A switch that the workspace may turn off but not on.
  void only_off(Sourced<bool>& dst, const std::optional<bool>& v, const std::string& key,
                const std::string& reason) {
    if (!v || *v == dst.value) return;
    if (!*v)
      dst.set(false, kW);
    else
      ignore(key, "true", reason);
  }

  void profile(Sourced<EgressProfile>& dst, const std::optional<EgressProfile>& v,
               const std::string& key) {
    if (!v || *v == dst.value) return;
    if (egress_strictness(*v) > egress_strictness(dst.value))
      dst.set(*v, kW);
    else
      ignore(key, egress_profile_name(*v), kNoWiderEgress);
  }

  void authz(Sourced<std::string>& dst, const std::optional<std::string>& v,
             const std::string& key) {
    if (!v || *v == dst.value) return;
    if (*v == "custom") {
      ignore(key, *v, "a workspace file cannot set a custom MCP policy");
    } else if (stricter_authz(dst.value, *v) == *v) {
      dst.set(*v, kW);
    } else {
      ignore(key, *v, "a workspace file can only make the MCP profile stricter");
    }
  }

 private:
  std::vector<Notice>& notices_;
};

void narrow_resources(EffectiveConfig& e, const FileConfig& w, Narrower& n) {
  n.lower(e.cpus, w.cpus, "defaults.cpus", w.cpus ? std::to_string(*w.cpus) : "");
  n.lower(e.memory_mib, w.memory_mib, "defaults.memory",
          w.memory_mib ? format_size_mib(*w.memory_mib) : "");
  n.lower(e.tmp_size_mib, w.tmp_size_mib, "defaults.tmp_size",
          w.tmp_size_mib ? format_size_mib(*w.tmp_size_mib) : "");
  for (Agent& a : e.agents) {
    if (e.cpus.source == kW && e.cpus.value < a.cpus.value) a.cpus = e.cpus;
    if (e.memory_mib.source == kW && e.memory_mib.value < a.memory_mib.value) {
      a.memory_mib = e.memory_mib;
    }
    if (e.tmp_size_mib.source == kW && e.tmp_size_mib.value < a.tmp_size_mib.value) {
      a.tmp_size_mib = e.tmp_size_mib;
    }
  }
}

void narrow_egress(EffectiveConfig& e, const FileConfig& w, Narrower& n) {
  if (w.egress_profile) {
    bool tightened = false;
    for (Agent& a : e.agents) {
      if (egress_strictness(*w.egress_profile) > egress_strictness(a.egress_profile.value)) {
        a.egress_profile.set(*w.egress_profile, kW);
        tightened = true;
      }
    }
    EgressProfile current = e.egress_profile.value.value_or(EgressProfile::kPermissive);
    if (egress_strictness(*w.egress_profile) > egress_strictness(current)) {
      e.egress_profile.set(w.egress_profile, kW);
    } else if (!tightened && *w.egress_profile != current) {
      n.ignore("defaults.egress_profile", egress_profile_name(*w.egress_profile), kNoWiderEgress);
    }
  }
  if (!w.allow_hosts.empty()) {
    n.ignore("network.allow_hosts", w.allow_hosts.front().name,
             "a workspace file cannot add allowed hosts");
  }
}

void narrow_review(EffectiveConfig& e, const FileConfig& w, Narrower& n) {
  if (w.workspace_mode && *w.workspace_mode != e.workspace_mode.value) {
    if (*w.workspace_mode == WorkspaceMode::kSnapshot) {
      e.workspace_mode.set(WorkspaceMode::kSnapshot, kW);
    } else {
      n.ignore("workspace.mode", "direct", "a workspace file cannot turn on direct mode");
    }
  }
  if (w.review_enabled && *w.review_enabled != e.review_enabled.value) {
    if (*w.review_enabled)
      e.review_enabled.set(true, kW);
    else
      n.ignore("review.enabled", "false", "a workspace file cannot turn review off");
  }
  if (!w.exclude_patterns.empty()) {
    std::vector<std::string> all = e.exclude_patterns.value;
    all.insert(all.end(), w.exclude_patterns.begin(), w.exclude_patterns.end());
    e.exclude_patterns.set(std::move(all), kW);
  }
  if (w.pull && *w.pull != e.pull.value) {
    n.ignore("image.pull", pull_policy_name(*w.pull),
             "only the global config or --pull choose the pull policy");
  }
}

void narrow_mcp(EffectiveConfig& e, const FileConfig& w, Narrower& n) {
  n.only_off(e.mcp_enabled, w.mcp_enabled, "mcp.enabled",
             "a workspace file cannot turn on MCP forwarding");
  if (w.mcp_group && *w.mcp_group != e.mcp_group.value) {
    n.ignore("mcp.group", *w.mcp_group, "a workspace file cannot choose MCP servers");
  }
  if (w.mcp_port && *w.mcp_port != e.mcp_port.value) {
    n.ignore("mcp.port", std::to_string(*w.mcp_port), "only the global config sets the MCP port");
  }
  if (w.mcp_has_config) {
    n.ignore("mcp.config", "", "a workspace file cannot set a custom MCP policy");
  }
  n.authz(e.mcp_authz_profile, w.mcp_authz_profile, "mcp.authz.profile");
  if (w.mcp_session_ttl && *w.mcp_session_ttl != e.mcp_session_ttl.value) {
    n.ignore("mcp.session_ttl", *w.mcp_session_ttl, "only the global config sets it");
  }
}

void narrow_forwarding(EffectiveConfig& e, const FileConfig& w, Narrower& n) {
  n.only_off(e.git_forward_token, w.git_forward_token, "git.forward_token",
             "a workspace file cannot turn on token forwarding");
  n.only_off(e.git_forward_ssh_agent, w.git_forward_ssh_agent, "git.forward_ssh_agent",
             "a workspace file cannot turn on SSH agent forwarding");
  n.only_off(e.settings_import, w.settings_import.enabled, "settings_import.enabled",
             "a workspace file cannot turn on settings import");
  for (const auto& [cat, on] : w.settings_import.categories) {
    Sourced<bool>& dst = e.settings_categories.try_emplace(cat, Sourced<bool>{true}).first->second;
    n.only_off(dst, on, "settings_import.categories." + cat,
               "a workspace file cannot turn on settings import");
  }
  n.only_off(e.save_credentials, w.save_credentials, "auth.save_credentials",
             "a workspace file cannot turn on credential saving");
  if (w.seed_host_credentials && *w.seed_host_credentials) {
    n.ignore("auth.seed_host_credentials", "true", "a workspace file cannot seed host credentials");
  }
  if (w.firmware_download) {
    n.ignore("runtime.firmware_download", yes_no(*w.firmware_download), "not used by bbox");
  }
}

}  // namespace

// Defined in merge_agent.cpp.
void narrow_agent(Agent& a, const AgentOverride& o, const std::string& key,
                  std::vector<Notice>& notices, bool global_mcp_enabled);

std::string stricter_authz(const std::string& a, const std::string& b) {
  for (const char* p : {"observe", "safe-tools", "full-access"}) {
    if (a == p || b == p) return p;
  }
  return a;
}

void apply_workspace(EffectiveConfig& e, const FileConfig& w) {
  e.workspace_file = w.path;
  Narrower n(e.notices);
  narrow_resources(e, w, n);
  narrow_egress(e, w, n);
  narrow_review(e, w, n);
  narrow_mcp(e, w, n);
  narrow_forwarding(e, w, n);
  for (const auto& [name, o] : w.agents) {
    std::string key = "agents." + ui::printable(name);
    Agent* a = e.find_agent(name);
    if (a == nullptr) {
      n.ignore(key, "", "a workspace file cannot add agents");
      continue;
    }
    narrow_agent(*a, o, key, e.notices, e.mcp_enabled.value);
  }
}

}  // namespace bbox::config
