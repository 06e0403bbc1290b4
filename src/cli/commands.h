// One add_*_command function per CLI verb, each in its own file
// (cmd_<verb>.cpp). app.cpp builds the CLI11 tree by calling them in order.
// A command records its outcome in Context::exit_code from its callback.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>

namespace bbox::cli {

// State shared by every command: global flags and the exit code to return.
struct Context {
  int exit_code = 0;
  std::optional<std::filesystem::path> config_path;  // --config
  bool verbose = false;                               // --verbose
};

void add_version_command(CLI::App& app, Context& ctx);
// bbox image ls|pull|rm|prune|build|inspect (owned by the image subsystem).
void add_image_command(CLI::App& app, Context& ctx);
// bbox sessions [rm], bbox review SESSION (owned by the workspace subsystem).
void add_sessions_commands(CLI::App& app, Context& ctx);

}  // namespace bbox::cli
