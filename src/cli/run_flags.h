// The flags shared by every command that runs a session (bbox <agent>,
// run-image, shell), and their resolution into a SessionRequest.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/config/config.h"
#include "bbox/session/session.h"
#include "cli/commands.h"

namespace bbox::cli {

enum class RunKind { kAgent, kRunImage, kShell };

struct RunFlags {
  std::string cpus, memory, tmp_size, workspace, image, workspace_mode, egress_profile, pull;
  std::string accel, kernel, output_patch, mcp_group, mcp_authz_profile, mcp_config;
  bool review = false, yes = false, no_mcp = false, timings = false, trace = false;
  bool no_settings = false, no_save_credentials = false, no_git_token = false;
  bool no_git_ssh_agent = false;
  bool git_token = false, git_ssh_agent = false;  // run-image, shell: opt-in
  std::vector<std::string> excludes, allow_hosts, allow_host_ports, env_forward, env;
  std::vector<std::string> args;  // after --: the agent's (or CMD's) arguments
};

// Adds the shared run flags (and --env for run-image) to cmd.
void add_run_flags(CLI::App* cmd, RunFlags& flags, RunKind kind);

// What runs: an agent from the config, or the synthetic agent of run-image
// or shell.
struct RunTarget {
  RunKind kind = RunKind::kAgent;
  config::Agent agent;
};

// A target that is no agent (`run-image`, `shell`): resources from the
// configuration, egress permissive unless configured, as Brood Box does.
RunTarget plain_target(RunKind kind, const std::string& name,
                       const config::EffectiveConfig& cfg);

// Resolves the workspace folder: --workspace or the current directory; it
// must be an existing directory. Prints and records a usage error otherwise.
std::optional<std::filesystem::path> resolve_workspace(const RunFlags& flags, Context& ctx);

// Resolves config, target and flags into a request. On failure prints the
// error, sets ctx.exit_code (2 for a bad flag value) and returns nothing.
std::optional<session::SessionRequest> build_request(const config::EffectiveConfig& cfg,
                                                     RunTarget target, const RunFlags& flags,
                                                     const CLI::App& cmd, Context& ctx);

// Resolves and runs: loads config for the workspace, builds the request, runs
// the session and records its exit code. `make_target` picks what runs once
// the config is known; it prints and returns nothing on failure.
void run_command(
    const RunFlags& flags, const CLI::App& cmd, Context& ctx,
    const std::function<std::optional<RunTarget>(const config::EffectiveConfig&)>& make_target);

// The environment for the guest command, built from the host's environment:
// default_env first, then every host variable matching a forward pattern
// (exact name or trailing-star prefix), never a BBOX_* name, then the BBOX_*
// variables bbox sets. A name in `required` missing from the host is an error.
struct EnvPlan {
  std::vector<std::string> patterns;
  std::map<std::string, std::string> defaults;
  std::vector<std::string> required;
  std::string agent_name;
};
Result<std::map<std::string, std::string>> resolve_env(const EnvPlan& plan,
                                                       const char* const* environ);

}  // namespace bbox::cli
