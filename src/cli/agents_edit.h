// bbox agents add|init|import|export: declaring custom agents in the global
// config and moving their declarations between machines.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace bbox::cli {

// Adds the four verbs under `agents`; `app` is the top of the tree, to refuse
// agent names that would hide a bbox command.
void add_agents_edit_commands(CLI::App& app, CLI::App& agents, Context& ctx);

}  // namespace bbox::cli
