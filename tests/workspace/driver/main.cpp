// bbox-ws-driver: the real `bbox sessions` / `bbox review` commands
// (src/cli/cmd_sessions.cpp) plus a `snapshot WORKSPACE` command that
// prints the new session's name, for tests that run them in a terminal.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/workspace/workspace.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace bbox;
  CLI::App app{"bbox workspace test driver"};
  app.require_subcommand(1);
  cli::Context ctx;
  cli::add_sessions_commands(app, ctx);
  std::string ws;
  std::vector<std::string> excludes;
  auto* snap = app.add_subcommand("snapshot", "Create a session and snapshot WORKSPACE");
  snap->add_option("WORKSPACE", ws)->required();
  snap->add_option("--exclude", excludes);
  snap->callback([&] {
    auto s = workspace::create_session(ws);
    if (!s) {
      ui::error("{}", s.error().message);
      ctx.exit_code = exit_code::kError;
      return;
    }
    auto st = workspace::take_snapshot(*s, workspace::SnapshotOptions{ws, excludes});
    if (!st) {
      ui::error("{}", st.error().message);
      ctx.exit_code = exit_code::kError;
      return;
    }
    std::printf("%s\n%s\n", s->id.c_str(), s->snapshot.c_str());
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code::kUsage;
  }
  return ctx.exit_code;
}
