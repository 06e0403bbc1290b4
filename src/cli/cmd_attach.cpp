// bbox attach [SESSION]: not yet available.
#include "bbox/common/exit_codes.h"
#include "cli/commands.h"

namespace bbox::cli {

void add_attach_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("attach", "Attach to a running session (not yet available)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    ctx.fail(exit_code::kNotBuilt, "bbox attach is not yet available in this build");
  });
}

}  // namespace bbox::cli
