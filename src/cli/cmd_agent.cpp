// bbox <agent> [flags] [-- agent args]: run a built-in or custom agent.
#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "cli/commands.h"
#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

void add_one(CLI::App& app, Context& ctx, const std::string& name, const std::string& about) {
  auto* cmd = app.add_subcommand(name, about);
  cmd->group("Agents");
  auto flags = std::make_shared<RunFlags>();
  add_run_flags(cmd, *flags, RunKind::kAgent);
  cmd->callback([&ctx, cmd, flags, name] {
    run_command(*flags, *cmd, ctx,
                [&](const config::EffectiveConfig& cfg) -> std::optional<RunTarget> {
                  if (const config::Agent* a = cfg.find_agent(name))
                    return RunTarget{RunKind::kAgent, *a};
                  auto invalid = cfg.invalid_agents.find(name);
                  std::string why = invalid != cfg.invalid_agents.end()
                                        ? invalid->second
                                        : fmt::format("agent {} is not defined", ui::quoted(name));
                  ctx.fail(exit_code::kError,
                           fmt::format("{} (run 'bbox agents doctor' for details)", why));
                  return std::nullopt;
                });
  });
}

}  // namespace

void add_agent_commands(CLI::App& app, Context& ctx) {
  for (const config::Agent& a : config::builtin_agents()) {
    add_one(app, ctx, a.name, fmt::format("Run {} in a microVM", a.description.value));
  }
  for (const std::string& name : ctx.custom_agents) {
    if (config::is_builtin(name)) continue;
    add_one(app, ctx, name, "Run the custom agent " + ui::quoted(name) + " in a microVM");
  }
}

}  // namespace bbox::cli
