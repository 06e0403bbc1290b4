// bbox config show [--workspace DIR] [--json], bbox config init.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/common/unique_fd.h"
#include "cli/commands.h"
#include "cli/render.h"

namespace bbox::cli {
namespace {

using nlohmann::json;

// The effective settings as (key, value text, source) rows.
struct Row {
  std::string key;
  json value;
  config::Source source;
};

std::vector<Row> rows(const config::EffectiveConfig& c) {
  auto names = [](const auto& hosts) {
    json out = json::array();
    for (const auto& h : hosts) out.push_back(h.name);
    return out;
  };
  std::vector<Row> r = {
      {"defaults.cpus", c.cpus.value, c.cpus.source},
      {"defaults.memory", config::format_size_mib(c.memory_mib.value), c.memory_mib.source},
      {"defaults.tmp_size", config::format_size_mib(c.tmp_size_mib.value), c.tmp_size_mib.source},
      {"defaults.egress_profile",
       c.egress_profile.value ? json(config::egress_profile_name(*c.egress_profile.value))
                              : json("(each agent's default)"),
       c.egress_profile.source},
      {"workspace.mode", config::workspace_mode_name(c.workspace_mode.value),
       c.workspace_mode.source},
      {"review.enabled", c.review_enabled.value, c.review_enabled.source},
      {"review.exclude_patterns", c.exclude_patterns.value, c.exclude_patterns.source},
      {"network.allow_hosts", names(c.allow_hosts.value), c.allow_hosts.source},
      {"image.pull", config::pull_policy_name(c.pull.value), c.pull.source},
      {"mcp.enabled", c.mcp_enabled.value, c.mcp_enabled.source},
      {"mcp.group", c.mcp_group.value, c.mcp_group.source},
      {"mcp.port", c.mcp_port.value, c.mcp_port.source},
      {"mcp.authz.profile", c.mcp_authz_profile.value, c.mcp_authz_profile.source},
      {"mcp.config", c.mcp_custom_config.value ? "set" : "(none)", c.mcp_custom_config.source},
      {"git.forward_token", c.git_forward_token.value, c.git_forward_token.source},
      {"git.forward_ssh_agent", c.git_forward_ssh_agent.value, c.git_forward_ssh_agent.source},
      {"settings_import.enabled", c.settings_import.value, c.settings_import.source},
      {"auth.save_credentials", c.save_credentials.value, c.save_credentials.source},
      {"auth.seed_host_credentials", c.seed_host_credentials.value, c.seed_host_credentials.source},
  };
  for (const auto& [cat, v] : c.settings_categories) {
    r.push_back({"settings_import.categories." + cat, v.value, v.source});
  }
  return r;
}

std::string file_or_none(const std::optional<std::filesystem::path>& p) {
  return p ? p->string() : "(none)";
}

void print_text(const config::EffectiveConfig& c) {
  fmt::print("global file:    {}\n", ui::printable(file_or_none(c.global_file)));
  fmt::print("workspace file: {}\n\n", ui::printable(file_or_none(c.workspace_file)));
  for (const Row& row : rows(c)) {
    std::string v = row.value.is_string() ? row.value.get<std::string>() : row.value.dump();
    fmt::print("{:<36}{:<28} [{}]\n", row.key, ui::printable(v), config::source_name(row.source));
  }
  for (const config::Agent& a : c.agents) fmt::print("\nagents.{}\n{}", a.name, agent_text(a));
  for (const auto& [name, why] : c.invalid_agents) {
    fmt::print("\nagents.{}: invalid: {}\n", ui::printable(name), ui::printable(why));
  }
  if (!c.notices.empty()) fmt::print("\nwarnings from the workspace file:\n");
  for (const config::Notice& n : c.notices) fmt::print("  {}\n", n.str());
}

void show(Context& ctx, const std::string& workspace, bool as_json) {
  std::error_code ec;
  std::filesystem::path dir =
      workspace.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(workspace);
  struct stat st {};
  if (ec || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    ctx.fail(exit_code::kUsage, fmt::format("invalid value for --workspace: {}: expected an "
                                            "existing directory",
                                            ui::quoted(dir.string())));
    return;
  }
  std::optional<config::EffectiveConfig> c = ctx.load(dir);
  if (!c) return;
  config::report_notices(*c);
  if (!as_json) {
    print_text(*c);
    return;
  }
  fmt::print("{}\n", config_json(*c).dump(2, ' ', false, json::error_handler_t::replace));
}

void init(Context& ctx) {
  std::filesystem::path path = ctx.config_path().value_or(paths::config_dir() / "config.yaml");
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    ctx.fail(exit_code::kError,
             fmt::format("create {}: {}", ui::quoted(path.parent_path().string()), ec.message()));
    return;
  }
  // O_EXCL: never overwrite an existing config, nor write through a symlink.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    int err = errno;
    if (err == EEXIST) {
      ctx.fail(exit_code::kError,
               fmt::format("refuse to overwrite {}: it already exists", ui::quoted(path.string())));
    } else {
      ctx.fail(exit_code::kError, errno_error("create " + ui::quoted(path.string()), err).message);
    }
    return;
  }
  std::string text = config::default_config_text();
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    ctx.fail(exit_code::kError, errno_error("write " + ui::quoted(path.string()), errno).message);
    return;
  }
  ui::info("wrote {}", ui::quoted(path.string()));
}

}  // namespace

json config_json(const config::EffectiveConfig& c) {
  json settings = json::object();
  for (const Row& row : rows(c)) {
    settings[row.key] = {{"value", row.value}, {"source", config::source_name(row.source)}};
  }
  json agents = json::array();
  for (const config::Agent& a : c.agents) agents.push_back(agent_json(a));
  json warnings = json::array();
  for (const config::Notice& n : c.notices) {
    warnings.push_back(
        {{"key", n.key}, {"value", n.value}, {"reason", n.reason}, {"message", n.str()}});
  }
  json invalid = json::object();
  for (const auto& [name, why] : c.invalid_agents) invalid[name] = why;
  return {{"global_file", c.global_file ? json(c.global_file->string()) : json(nullptr)},
          {"workspace_file", c.workspace_file ? json(c.workspace_file->string()) : json(nullptr)},
          {"settings", settings},
          {"agents", agents},
          {"invalid_agents", invalid},
          {"warnings", warnings}};
}

void add_config_command(CLI::App& app, Context& ctx) {
  auto* cfg = app.add_subcommand("config", "Show or create the configuration");
  cfg->require_subcommand(1);
  auto workspace = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* show_cmd = cfg->add_subcommand("show",
                                       "Show the effective configuration and where "
                                       "each value comes from");
  show_cmd->add_option("--workspace", *workspace, "Project folder (default: current directory)");
  show_cmd->add_flag("--json", *as_json, "Print JSON");
  show_cmd->callback([&ctx, workspace, as_json] { show(ctx, *workspace, *as_json); });
  auto* init_cmd = cfg->add_subcommand("init", "Write a commented default global config");
  init_cmd->callback([&ctx] { init(ctx); });
}

}  // namespace bbox::cli
