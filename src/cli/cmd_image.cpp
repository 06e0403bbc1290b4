// Placeholder: the image subsystem (issue 6) replaces this file.
#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "cli/commands.h"

namespace bbox::cli {

void add_image_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("image", "Manage agent images (ls, pull, rm, prune, build)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    ui::error("bbox image is not yet available in this build");
    ctx.exit_code = exit_code::kNotBuilt;
  });
}

}  // namespace bbox::cli
