#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <set>

#include "bbox/cli/cli.h"
#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/log/log.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

// What the command line says before CLI11 sees it: --config (needed to know
// the custom agents, which become commands) and the first word that is not
// an option (the command or agent).
struct PreScan {
  std::string config;
  std::string first_word;
};

PreScan prescan(int argc, char** argv) {
  PreScan s;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    if (a == "--config" && i + 1 < argc) {
      s.config = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      s.config = a.substr(9);
    } else if (!a.empty() && a[0] != '-' && s.first_word.empty()) {
      s.first_word = a;
    }
  }
  return s;
}

// Custom agent names from the global config, quietly: a broken config is
// reported by the command that needs it, not while building the tree.
std::vector<std::string> custom_agent_names(const Context& ctx) {
  std::vector<std::string> out;
  Result<config::EffectiveConfig> cfg = config::load_config({ctx.config_path(), std::nullopt});
  if (!cfg) return out;
  for (const config::Agent& a : cfg->agents) {
    if (!a.builtin) out.push_back(a.name);
  }
  for (const auto& kv : cfg->invalid_agents) out.push_back(kv.first);
  return out;
}

// `bbox NAME` where NAME is neither a command nor an agent: list the agents.
int unknown_command(const CLI::App& app, const Context& ctx, const std::string& word) {
  std::string agents;
  for (const config::Agent& a : config::builtin_agents())
    agents += (agents.empty() ? "" : ", ") + a.name;
  for (const std::string& n : ctx.custom_agents) agents += ", " + ui::printable(n);
  std::string commands;
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* s) { return s->get_group() != "Agents"; })) {
    commands += (commands.empty() ? "" : ", ") + sub->get_name();
  }
  ui::error("unknown agent or command {}: known agents are {}; commands are {}", ui::quoted(word),
            agents, commands);
  return exit_code::kUsage;
}

int parse_failure(CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::CallForHelp*>(&e) != nullptr ||
      dynamic_cast<const CLI::CallForAllHelp*>(&e) != nullptr ||
      dynamic_cast<const CLI::CallForVersion*>(&e) != nullptr) {
    return app.exit(e);
  }
  std::string what = e.what();
  if (what == "A subcommand is required") what = "a command or an agent is required";
  ui::error("{} (see 'bbox --help')", ui::printable(what));
  return exit_code::kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bbox: run a coding agent in a throw-away microVM on a snapshot of your project",
               "bbox"};
  app.require_subcommand(1);
  app.fallthrough();
  Context ctx;
  PreScan pre = prescan(argc, argv);
  ctx.config_flag = pre.config;
  app.add_option("--config", ctx.config_flag,
                 "Global config file (default: "
                 "~/.config/broodbox/config.yaml)");
  app.add_flag("--verbose,-v", ctx.verbose, "Say more: info and debug messages on stderr")
      ->each([](const std::string&) { log::init(log::Options{.verbose = true}); });
  ctx.custom_agents = custom_agent_names(ctx);
  log::init(log::Options{});

  add_agent_commands(app, ctx);
  add_run_image_command(app, ctx);
  add_shell_command(app, ctx);
  add_agents_commands(app, ctx);
  add_config_command(app, ctx);
  add_doctor_command(app, ctx);
  add_attach_command(app, ctx);
  add_version_command(app, ctx);
  add_image_command(app, ctx);
  add_sessions_commands(app, ctx);
  add_auth_command(app, ctx);

  auto named = [&](const CLI::App* sub) { return sub->check_name(pre.first_word); };
  if (!pre.first_word.empty() && app.get_subcommands(named).empty()) {
    return unknown_command(app, ctx, pre.first_word);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e);
  }
  return ctx.exit_code;
}

}  // namespace bbox::cli
