#include <fmt/format.h>

#include "bbox/common/version.h"
#include "cli/commands.h"

namespace bbox::cli {

void add_version_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Print the bbox version");
  cmd->callback([&ctx] {
    fmt::print("bbox {}\n", version_string());
    ctx.exit_code = 0;
  });
}

}  // namespace bbox::cli
