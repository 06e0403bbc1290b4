// The shared run flags: declaring them on a command.
#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

// A repeatable option taking one value per occurrence.
void repeatable(CLI::App* cmd, const std::string& name, const std::string& type,
                std::vector<std::string>& into, const std::string& help) {
  cmd->add_option(name, into, help)->allow_extra_args(false)->type_name(type);
}

}  // namespace

void add_run_flags(CLI::App* cmd, RunFlags& f, RunKind kind) {
  cmd->add_option("--cpus", f.cpus, "vCPUs for the VM, 1 to 128")->type_name("N");
  cmd->add_option("--memory", f.memory, "RAM for the VM: 4g, 512m, or a bare number of MiB")
      ->type_name("SIZE");
  cmd->add_option("--tmp-size", f.tmp_size, "Size of /tmp in the VM, same syntax as --memory")
      ->type_name("SIZE");
  cmd->add_option("--workspace", f.workspace, "Project folder (default: the current directory)")
      ->type_name("DIR");
  cmd->add_option("--image", f.image, "Boot this image instead of the agent's")->type_name("IMAGE");
  cmd->add_flag("--review", f.review, "Review each changed file before it is applied");
  repeatable(cmd, "--exclude", "PATTERN", f.excludes,
             "Leave matching paths out of the snapshot (repeatable)");
  cmd->add_option("--workspace-mode", f.workspace_mode, "snapshot (default) or direct")
      ->type_name("MODE");
  cmd->add_flag("--yes", f.yes, "Acknowledge dangerous options without asking");
  cmd->add_option("--egress-profile", f.egress_profile, "permissive, standard or locked")
      ->type_name("PROFILE");
  repeatable(cmd, "--allow-host", "HOST[:PORT]", f.allow_hosts,
             "Also allow HOST[:PORT] (repeatable)");
  repeatable(cmd, "--allow-host-port", "PORT", f.allow_host_ports,
             "Let the guest reach this port on the host (repeatable)");
  repeatable(cmd, "--env-forward", "PATTERN", f.env_forward,
             "Forward host variables: NAME or PREFIX_* (repeatable)");
  if (kind == RunKind::kRunImage) {
    repeatable(cmd, "--env", "PATTERN", f.env,
               "Same as --env-forward (Brood Box's run-image spelling)");
  }
  cmd->add_flag("--no-mcp", f.no_mcp, "Do not offer MCP servers to the agent");
  cmd->add_option("--mcp-group", f.mcp_group, "ToolHive group to take MCP servers from")
      ->type_name("GROUP");
  cmd->add_option("--mcp-authz-profile", f.mcp_authz_profile,
                  "full-access, observe, safe-tools or custom")
      ->type_name("PROFILE");
  cmd->add_option("--mcp-config", f.mcp_config, "MCP config file (Cedar policies)")
      ->type_name("FILE");
  cmd->add_option("--pull", f.pull, "always, if-not-present or never")->type_name("POLICY");
  cmd->add_option("--accel", f.accel, "auto (default), kvm or tcg")->type_name("MODE");
  cmd->add_option("--kernel", f.kernel, "Boot this guest kernel (vmlinuz)")->type_name("PATH");
  cmd->add_option("--output-patch", f.output_patch, "Write the changes as a patch to FILE")
      ->type_name("FILE");
  cmd->add_flag("--no-settings", f.no_settings, "Do not copy agent settings into the VM");
  cmd->add_flag("--no-save-credentials", f.no_save_credentials,
                "Do not keep the agent's login after the session");
  cmd->add_flag("--no-git-token", f.no_git_token, "Do not forward GITHUB_TOKEN/GH_TOKEN");
  cmd->add_flag("--no-git-ssh-agent", f.no_git_ssh_agent, "Do not forward the SSH agent");
  if (kind != RunKind::kAgent) {
    cmd->add_flag("--git-token", f.git_token,
                  "Forward GITHUB_TOKEN/GH_TOKEN through a git credential helper");
    cmd->add_flag("--git-ssh-agent", f.git_ssh_agent, "Forward the host's SSH agent");
  }
  cmd->add_flag("--timings", f.timings, "Print how long each phase took");
  cmd->add_flag("--trace", f.trace, "Log everything, to stderr and the session log");
  const char* args_help = kind == RunKind::kAgent
                              ? "Arguments for the agent, after --"
                              : "The command to run and its arguments, after --";
  cmd->add_option("args", f.args, args_help);
}

}  // namespace bbox::cli
