// Placeholder: the workspace subsystem (issue 3) replaces this file.
#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "cli/commands.h"

namespace bbox::cli {

void add_sessions_commands(CLI::App& app, Context& ctx) {
  auto not_built = [&ctx] {
    ui::error("sessions and review are not yet available in this build");
    ctx.exit_code = exit_code::kNotBuilt;
  };
  auto* sessions = app.add_subcommand("sessions", "List sessions with changes not yet applied");
  sessions->allow_extras();
  sessions->callback(not_built);
  auto* review = app.add_subcommand("review", "Resume review and flush of a session");
  review->allow_extras();
  review->callback(not_built);
}

}  // namespace bbox::cli
