// bbox attach [SESSION]: not yet available.
#include <memory>

#include "bbox/common/exit_codes.h"
#include "cli/commands.h"

namespace bbox::cli {

void add_attach_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("attach", "Attach to a running session (not yet available)");
  auto session = std::make_shared<std::string>();
  cmd->add_option("session", *session, "Session name (default: the only running one)");
  cmd->callback([&ctx, session] {  // session owns the option's storage
    ctx.fail(exit_code::kNotBuilt, "bbox attach is not yet available in this build");
  });
}

}  // namespace bbox::cli
