#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bbox/cli/cli.h"
#include "bbox/common/exit_codes.h"
#include "bbox/common/version.h"

namespace bbox::cli {

int main(int argc, char** argv) {
  CLI::App app{"bbox: run a coding agent in a throw-away microVM on a snapshot of your project"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "print the bbox version");
  version->callback([] { fmt::print("bbox {}\n", version_string()); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code::kUsage;
  }
  return exit_code::kOk;
}

}  // namespace bbox::cli
