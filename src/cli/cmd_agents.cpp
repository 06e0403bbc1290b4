// bbox list, bbox agents list|inspect|doctor (add, init, import and export
// are in cmd_agents_edit.cpp).
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "cli/agents_edit.h"
#include "cli/commands.h"
#include "cli/render.h"

namespace bbox::cli {
namespace {

std::optional<config::EffectiveConfig> load_here(Context& ctx) {
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  std::optional<config::EffectiveConfig> cfg =
      ctx.load(ec ? std::nullopt : std::optional<std::filesystem::path>(cwd));
  if (cfg) config::report_notices(*cfg);
  return cfg;
}

void list(Context& ctx, bool as_json) {
  std::optional<config::EffectiveConfig> cfg = load_here(ctx);
  if (!cfg) return;
  if (as_json) {
    nlohmann::json agents = nlohmann::json::array();
    for (const config::Agent& a : cfg->agents) agents.push_back(agent_json(a));
    nlohmann::json invalid = nlohmann::json::object();
    for (const auto& [name, why] : cfg->invalid_agents) invalid[name] = why;
    nlohmann::json out = {{"agents", agents}, {"invalid_agents", invalid}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  fmt::print("{:<16}{:<10}{:<12}{}\n", "NAME", "TYPE", "EGRESS", "IMAGE");
  for (const config::Agent& a : cfg->agents) {
    fmt::print("{:<16}{:<10}{:<12}{}\n", ui::printable(a.name), a.builtin ? "built-in" : "custom",
               config::egress_profile_name(a.egress_profile.value), ui::printable(a.image.value));
  }
  for (const auto& [name, why] : cfg->invalid_agents) {
    fmt::print("{:<16}{:<10}{:<12}{}\n", ui::printable(name), "invalid", "-",
               "see 'bbox agents doctor'");
  }
}

void inspect(Context& ctx, const std::string& name, bool as_json) {
  std::optional<config::EffectiveConfig> cfg = load_here(ctx);
  if (!cfg) return;
  const config::Agent* a = cfg->find_agent(name);
  if (a == nullptr) {
    auto bad = cfg->invalid_agents.find(name);
    if (bad != cfg->invalid_agents.end()) {
      ctx.fail(exit_code::kError, bad->second + " (run 'bbox agents doctor' for details)");
    } else {
      std::string known;
      for (const std::string& n : cfg->agent_names()) known += (known.empty() ? "" : ", ") + n;
      ctx.fail(exit_code::kUsage,
               fmt::format("unknown agent {}: known agents are {}", ui::quoted(name), known));
    }
    return;
  }
  if (as_json)
    fmt::print("{}\n",
               agent_json(*a).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  else
    fmt::print("{}", agent_text(*a));
}

// Checks every agent (or only `only`): each custom agent against the rules,
// and the variables each one requires on the host.
void doctor(Context& ctx, const std::string& only) {
  std::optional<config::EffectiveConfig> cfg = load_here(ctx);
  if (!cfg) return;
  if (!only.empty() && cfg->find_agent(only) == nullptr && cfg->invalid_agents.count(only) == 0) {
    std::string known;
    for (const std::string& n : cfg->agent_names()) known += (known.empty() ? "" : ", ") + n;
    return ctx.fail(exit_code::kUsage,
                    fmt::format("unknown agent {}: known agents are {}", ui::quoted(only), known));
  }
  bool bad = false;
  for (const auto& [name, why] : cfg->invalid_agents) {
    if (!only.empty() && name != only) continue;
    fmt::print("invalid  {}: {}\n", ui::printable(name), ui::printable(why));
    bad = true;
  }
  for (const config::Agent& a : cfg->agents) {
    if (!only.empty() && a.name != only) continue;
    std::vector<std::string> missing;
    for (const std::string& v : a.env_required.value) {
      if (std::getenv(v.c_str()) == nullptr) missing.push_back(v);
    }
    if (missing.empty()) {
      fmt::print("ok       {}\n", ui::printable(a.name));
      continue;
    }
    bad = true;
    for (const std::string& v : missing) {
      fmt::print("missing  {}: requires {} on the host\n", ui::printable(a.name), ui::printable(v));
    }
  }
  ctx.exit_code = bad ? exit_code::kError : exit_code::kOk;
}

}  // namespace

void add_agents_commands(CLI::App& app, Context& ctx) {
  auto json_flag = std::make_shared<bool>(false);
  auto* top_list = app.add_subcommand("list", "List the agents (built-in and custom)");
  top_list->add_flag("--json", *json_flag, "Print JSON");
  top_list->callback([&ctx, json_flag] { list(ctx, *json_flag); });

  auto* agents = app.add_subcommand("agents", "List, inspect and check agents");
  agents->require_subcommand(1);
  auto* sub_list = agents->add_subcommand("list", "List the agents (built-in and custom)");
  sub_list->add_flag("--json", *json_flag, "Print JSON");
  sub_list->callback([&ctx, json_flag] { list(ctx, *json_flag); });

  auto name = std::make_shared<std::string>();
  auto* ins = agents->add_subcommand("inspect",
                                     "Show an agent's settings and where each "
                                     "comes from");
  ins->add_option("name", *name, "Agent name")->required();
  ins->add_flag("--json", *json_flag, "Print JSON");
  ins->callback([&ctx, name, json_flag] { inspect(ctx, *name, *json_flag); });

  auto* doc = agents->add_subcommand("doctor", "Check custom agents and required variables");
  auto only = std::make_shared<std::string>();
  doc->add_option("name", *only, "Check only this agent");
  doc->callback([&ctx, only] { doctor(ctx, *only); });

  add_agents_edit_commands(app, *agents, ctx);
}

}  // namespace bbox::cli
