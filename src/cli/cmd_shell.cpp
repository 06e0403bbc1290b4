// bbox shell: an interactive login shell in the base image on a snapshot of
// the current workspace. Forwards no host variables.
#include "bbox/config/agent.h"
#include "cli/commands.h"
#include "cli/run_flags.h"

namespace bbox::cli {

void add_shell_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("shell",
                                 "Open a shell in a microVM on a snapshot of the "
                                 "workspace");
  auto flags = std::make_shared<RunFlags>();
  add_run_flags(cmd, *flags, RunKind::kShell);
  cmd->callback([&ctx, cmd, flags] {
    run_command(
        *flags, *cmd, ctx, [&](const config::EffectiveConfig& cfg) -> std::optional<RunTarget> {
          RunTarget t{RunKind::kShell, {}};
          config::Agent& a = t.agent;
          a.name = "shell";
          a.image.value = config::kBaseImage;
          a.command.value = {"/bin/bash", "-l"};
          a.cpus = cfg.cpus;
          a.memory_mib = cfg.memory_mib;
          a.tmp_size_mib = cfg.tmp_size_mib;
          a.egress_profile.value =
              cfg.egress_profile.value.value_or(session::EgressProfile::kPermissive);
          a.egress_hosts.value = {{session::EgressProfile::kStandard, config::standard_dev_hosts()},
                                  {session::EgressProfile::kLocked, {}}};
          return t;
        });
  });
}

}  // namespace bbox::cli
