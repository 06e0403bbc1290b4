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
          RunTarget t = plain_target(RunKind::kShell, "shell", cfg);
          t.agent.image.value = config::kBaseImage;
          t.agent.command.value = {"/bin/bash", "-l"};
          return t;
        });
  });
}

}  // namespace bbox::cli
