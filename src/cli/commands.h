// One add_*_command function per CLI verb, each in its own file
// (cmd_<verb>.cpp). app.cpp builds the CLI11 tree by calling them in order.
// A command records its outcome in Context::exit_code from its callback.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/config/config.h"

namespace bbox::cli {

// State shared by every command: global flags and the exit code to return.
struct Context {
  int exit_code = 0;
  std::string config_flag;  // --config PATH (empty: the default global file)
  bool verbose = false;     // --verbose

  // Custom agent names found in the global config when the tree was built
  // (so each gets its own `bbox NAME` command).
  std::vector<std::string> custom_agents;

  std::optional<std::filesystem::path> config_path() const {
    if (config_flag.empty()) return std::nullopt;
    return std::filesystem::path(config_flag);
  }
  // Loads the effective config for a workspace; on failure prints the error,
  // sets exit_code to 1 and returns nothing.
  std::optional<config::EffectiveConfig> load(
      const std::optional<std::filesystem::path>& workspace_dir);
  // Records a failure: prints "bbox: error: MESSAGE" and sets the exit code.
  void fail(int code, const std::string& message);
};

void add_version_command(CLI::App& app, Context& ctx);
// bbox image ls|pull|rm|prune|build|inspect (owned by the image subsystem).
void add_image_command(CLI::App& app, Context& ctx);
// bbox sessions [rm], bbox review SESSION (owned by the workspace subsystem).
void add_sessions_commands(CLI::App& app, Context& ctx);

// bbox <agent> for each built-in and each custom agent in ctx.custom_agents.
void add_agent_commands(CLI::App& app, Context& ctx);
// bbox run-image IMAGE [flags] -- CMD [args]
void add_run_image_command(CLI::App& app, Context& ctx);
// bbox shell [flags]
void add_shell_command(CLI::App& app, Context& ctx);
// bbox list, bbox agents list|inspect|doctor|add|init|import|export
void add_agents_commands(CLI::App& app, Context& ctx);
// bbox config show|init
void add_config_command(CLI::App& app, Context& ctx);
// bbox doctor
void add_doctor_command(CLI::App& app, Context& ctx);
// bbox attach [--session NAME] [-- CMD [args]]
void add_attach_command(CLI::App& app, Context& ctx);
// bbox auth list|clear (owned by the guesthome subsystem).
void add_auth_command(CLI::App& app, Context& ctx);

}  // namespace bbox::cli
