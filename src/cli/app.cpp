#include <CLI/CLI.hpp>

#include "bbox/cli/cli.h"
#include "bbox/common/exit_codes.h"
#include "cli/commands.h"

namespace bbox::cli {

int main(int argc, char** argv) {
  CLI::App app{"bbox: run a coding agent in a throw-away microVM on a snapshot of your project"};
  app.require_subcommand(1);
  Context ctx;
  add_version_command(app, ctx);
  add_image_command(app, ctx);
  add_sessions_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code::kUsage;
  }
  return ctx.exit_code;
}

}  // namespace bbox::cli
