// The commented global config written by `bbox config init`.
#include "bbox/config/config.h"

namespace bbox::config {

std::string default_config_text() {
  return R"(# bbox global configuration (read by bbox and Brood Box alike).
# Every setting is commented out and shows the value bbox uses without it.
# A project's .broodbox.yaml can only tighten these settings, never widen them.

# Resources and egress for every agent that does not set its own.
# defaults:
#   cpus: 2                     # vCPUs, 1 to 128
#   memory: 4g                  # a bare number is MiB; m, mi, mib, g, gi, gib
#   tmp_size: 2g                # size of /tmp in the guest
#   egress_profile: permissive  # permissive, standard or locked

# How the agent sees your project: snapshot (review changes) or direct.
# workspace:
#   mode: snapshot

# review:
#   enabled: false              # review each changed file before it lands
#   exclude_patterns: []        # gitignore-style patterns left out of the snapshot

# Hosts allowed on top of the egress profile (names only, no addresses).
# network:
#   allow_hosts:
#     - name: api.example.com
#       ports: [443]

# image:
#   pull: if-not-present        # always, if-not-present or never

# mcp:
#   enabled: true
#   group: default
#   port: 4483
#   authz:
#     profile: full-access      # full-access, observe, safe-tools or custom

# git:
#   forward_token: true         # GITHUB_TOKEN / GH_TOKEN through a credential helper
#   forward_ssh_agent: true     # the host's SSH agent, keys stay on the host

# settings_import:
#   enabled: true               # copy agent settings (rules, skills, ...) into the guest

# auth:
#   save_credentials: true      # keep each agent's login between sessions

# Overrides of built-in agents, or agents of your own:
# agents:
#   claude-code:
#     memory: 8g
#   my-agent:
#     description: My own agent
#     image: registry.example.com/my-agent:latest
#     command: [my-agent, --yes]
#     env_forward: [MY_AGENT_*]
#     env_required: [MY_AGENT_KEY]
#     egress_profile: standard
#     egress_hosts:
#       standard:
#         - name: api.example.com
#           ports: [443]
)";
}

}  // namespace bbox::config
