#include "cli/guest_home.h"

#include <cstdlib>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/guesthome/guesthome.h"

namespace bbox::cli {
namespace {

namespace gh = guesthome;

std::vector<gh::SettingsItem> settings_for(const config::EffectiveConfig& cfg,
                                           const config::Agent& a) {
  bool on = cfg.settings_import.value;
  std::map<std::string, bool> categories;
  for (const auto& [cat, v] : cfg.settings_categories) categories[cat] = v.value;
  if (a.settings_import) {
    if (a.settings_import->enabled) on = *a.settings_import->enabled;
    for (const auto& [cat, v] : a.settings_import->categories) categories[cat] = v;
  }
  if (!on) return {};
  std::vector<gh::SettingsItem> items =
      a.builtin ? gh::builtin_settings(a.name) : gh::custom_settings(a.settings);
  return gh::enabled_settings(items, categories);
}

// `on`: forward the host's token; `refused`: drop it even where an env
// pattern or --env had matched it.
void forward_token(bool on, bool refused, session::SessionRequest& req) {
  for (const char* name : {"GITHUB_TOKEN", "GH_TOKEN"}) {
    const char* value = std::getenv(name);
    if (refused) {
      req.env.erase(name);
    } else if (on && value != nullptr && value[0] != '\0') {
      req.env[name] = value;  // reaches the guest over the control channel only
    }
  }
  bool have = req.env.count("GITHUB_TOKEN") > 0 || req.env.count("GH_TOKEN") > 0;
  req.home.git_token_helper = on && !refused && have;
}

}  // namespace

void apply_guest_home(const config::EffectiveConfig& cfg, const RunTarget& t, const RunFlags& f,
                      session::SessionRequest& req) {
  gh::HomePlan& h = req.home;
  const bool agent = t.kind == RunKind::kAgent;
  h.agent = t.agent.name;
  if (agent && !f.no_settings) {
    h.settings = settings_for(cfg, t.agent);
    h.host_home = paths::home_dir();
  }
  h.save_credentials = agent && cfg.save_credentials.value && !f.no_save_credentials &&
                       !t.agent.credential_paths.empty();
  if (h.save_credentials) h.credential_paths = t.agent.credential_paths;
  if (h.save_credentials && cfg.seed_host_credentials.value) {
    h.seed_host_credentials = true;
    h.host_home = paths::home_dir();
  }

  h.git_files = true;
  h.git_identity = gh::host_git_identity();
  bool refused = f.no_git_token || (agent && !cfg.git_forward_token.value);
  forward_token(agent || f.git_token, refused, req);
  bool ssh = agent ? cfg.git_forward_ssh_agent.value : f.git_ssh_agent;
  if (ssh && !f.no_git_ssh_agent) {
    if (auto sock = gh::host_ssh_agent()) h.ssh_agent_socket = *sock;
  }
}

}  // namespace bbox::cli
