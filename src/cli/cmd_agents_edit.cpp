// bbox agents add|init|import|export.
//
// add and import go through one path: the declaration (built from flags, or
// read from a file) is parsed with the config file's own rules, validated as
// a custom agent, spliced into the global config text, and the whole new text
// is written atomically. Nothing is written unless every step succeeded.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/config/agent_file.h"
#include "cli/agents_edit.h"

namespace bbox::cli {
namespace {

namespace fs = std::filesystem;

struct AddFlags {
  std::string image, description, memory, tmp_size, egress_profile, mcp_authz;
  std::vector<std::string> command, env_forward, env_required, allow_hosts;
  int cpus = 0;
  bool mcp = false;
  bool force = false;
};

fs::path global_config(const Context& ctx) {
  return ctx.config_path().value_or(paths::config_dir() / "config.yaml");
}

// Flag values the declaration's parser would only report with positions in
// a text the user never wrote.
Status check_flags(const AddFlags& f) {
  auto flag = [](const char* name, const std::string& v, const Error& e) {
    return Error{fmt::format("{} {}: {}", name, ui::quoted(v), e.message)};
  };
  for (const auto& [name, v] : {std::pair{"--memory", f.memory}, {"--tmp-size", f.tmp_size}}) {
    if (Result<uint64_t> s = config::parse_size_mib(v); !v.empty() && !s) {
      return flag(name, v, s.error());
    }
  }
  if (Result<config::EgressProfile> p = config::parse_egress_profile(f.egress_profile);
      !f.egress_profile.empty() && !p) {
    return flag("--egress-profile", f.egress_profile, p.error());
  }
  for (const std::string& h : f.allow_hosts) {
    if (auto parsed = config::parse_allow_host(h); !parsed) {
      return flag("--allow-host", h, parsed.error());
    }
  }
  return ok_status();
}

// The agent's keys as YAML, in the order a person would write them.
std::string body_yaml(const AddFlags& f) {
  YAML::Node n(YAML::NodeType::Map);
  if (!f.description.empty()) n["description"] = f.description;
  n["image"] = f.image;
  n["command"] = f.command;
  n["command"].SetStyle(YAML::EmitterStyle::Flow);
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    n[key] = v;
    n[key].SetStyle(YAML::EmitterStyle::Flow);
  };
  list("env_forward", f.env_forward);
  list("env_required", f.env_required);
  if (f.cpus > 0) n["cpus"] = f.cpus;
  if (!f.memory.empty()) n["memory"] = f.memory;
  if (!f.tmp_size.empty()) n["tmp_size"] = f.tmp_size;
  std::string profile = f.egress_profile.empty() ? "standard" : f.egress_profile;
  if (!f.egress_profile.empty()) n["egress_profile"] = f.egress_profile;
  for (const std::string& h : f.allow_hosts) {
    auto parsed = config::parse_allow_host(h);
    YAML::Node host(YAML::NodeType::Map);
    host["name"] = parsed->host;
    if (parsed->port != 0) {
      host["ports"].push_back(parsed->port);
      host["ports"].SetStyle(YAML::EmitterStyle::Flow);
    }
    n["egress_hosts"][profile].push_back(host);
  }
  if (f.mcp) {
    n["mcp"]["enabled"] = true;
    n["mcp"]["mode"] = "env";
    if (!f.mcp_authz.empty()) n["mcp"]["authz"]["profile"] = f.mcp_authz;
  }
  YAML::Emitter out;
  out << n;
  return std::string(out.c_str()) + "\n";
}

// A name bbox cannot give to an agent: one of its own commands.
bool is_command_name(CLI::App& app, const Context& ctx, const std::string& name) {
  if (config::is_builtin(name)) return false;
  for (const std::string& c : ctx.custom_agents) {
    if (c == name) return false;
  }
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->check_name(name)) return true;
  }
  return false;
}

// Validates `d` and writes it as agents.<name> of the global config.
// `invalid` is the exit code for a declaration that breaks a rule.
void declare(CLI::App& app, Context& ctx, const config::AgentDeclaration& d, bool force,
             int invalid) {
  if (Status s = config::validate_custom_agent(d.name, d.agent); !s) {
    ctx.fail(invalid, s.error().message + "; nothing was written");
    return;
  }
  if (config::is_builtin(d.name) && !force) {
    ctx.fail(exit_code::kUsage,
             fmt::format("refuse to declare {}: it is a built-in agent (--force writes an "
                         "override of it)",
                         ui::quoted(d.name)));
    return;
  }
  if (is_command_name(app, ctx, d.name)) {
    ctx.fail(exit_code::kUsage, fmt::format("refuse to declare {}: 'bbox {}' is a bbox command",
                                            ui::quoted(d.name), d.name));
    return;
  }
  fs::path path = global_config(ctx);
  std::string shown = ui::quoted(path.string());
  Result<UniqueFd> lock = config::lock_config_for_edit(path);  // held until the write is done
  if (!lock) return ctx.fail(exit_code::kError, lock.error().message);
  Result<std::string> text = config::read_config_text(path);
  if (!text) return ctx.fail(exit_code::kError, text.error().message);
  Result<config::AgentEdit> edit =
      config::put_agent(*text, ui::printable(path.string()), d.name, d.body_yaml, true);
  if (!edit) return ctx.fail(exit_code::kError, edit.error().message);
  if (edit->replaced && !force) {
    ctx.fail(exit_code::kError,
             fmt::format("refuse to replace agent {}: it is already declared in {} (--force "
                         "replaces it)",
                         ui::quoted(d.name), shown));
    return;
  }
  if (Status s = config::write_file_atomically(path, edit->text); !s) {
    ctx.fail(exit_code::kError, s.error().message + "; the config was not changed");
    return;
  }
  if (edit->comments_dropped) {
    ui::warning(
        "rewrote {} without its comments: its agents section is in a layout bbox "
        "cannot add to in place",
        shown);
  }
  ui::info("{} agent {} in {}; check it with 'bbox agents doctor'",
           edit->replaced ? "replaced" : "declared", ui::quoted(d.name), shown);
}

void add(CLI::App& app, Context& ctx, const std::string& name, const AddFlags& f) {
  if (Status s = config::validate_agent_name(name); !s) {
    return ctx.fail(exit_code::kUsage, s.error().message);
  }
  if (Status s = check_flags(f); !s) return ctx.fail(exit_code::kUsage, s.error().message);
  std::string body = body_yaml(f);
  YAML::Node named(YAML::NodeType::Map);
  named["name"] = name;
  Result<config::AgentDeclaration> d =
      config::parse_agent_declaration(YAML::Dump(named) + "\n" + body, "the flags");
  if (!d) return ctx.fail(exit_code::kUsage, d.error().message);
  declare(app, ctx, *d, f.force, exit_code::kUsage);
}

void import_file(CLI::App& app, Context& ctx, const std::string& file, bool force) {
  Result<config::AgentDeclaration> d = config::read_agent_declaration(file);
  if (!d) return ctx.fail(exit_code::kError, "import: " + d.error().message);
  declare(app, ctx, *d, force, exit_code::kError);
}

void export_agent(Context& ctx, const std::string& name) {
  if (config::is_builtin(name)) {
    return ctx.fail(exit_code::kUsage, fmt::format("export {}: a built-in agent cannot be "
                                                   "exported, only agents declared in the "
                                                   "global config",
                                                   ui::quoted(name)));
  }
  fs::path path = global_config(ctx);
  std::string shown = ui::printable(path.string());
  Result<std::string> text = config::read_config_text(path);
  if (!text) return ctx.fail(exit_code::kError, text.error().message);
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    return ctx.fail(exit_code::kError, fmt::format("export {}: no agents are declared: {} is "
                                                   "empty or missing",
                                                   ui::quoted(name), ui::quoted(shown)));
  }
  bool dropped_env = false;
  Result<std::string> out = config::export_agent_declaration(*text, shown, name, &dropped_env);
  if (!out) return ctx.fail(exit_code::kError, "export: " + out.error().message);
  if (dropped_env) {
    ui::note("left out default_env of {}: its values stay on this host", ui::quoted(name));
  }
  fmt::print("{}", *out);
}

void init(Context& ctx, const std::string& name, const std::string& output, bool force) {
  if (Status s = config::validate_agent_name(name); !s) {
    return ctx.fail(exit_code::kUsage, s.error().message);
  }
  std::string text = config::agent_template_text(name);
  if (output.empty()) {
    fmt::print("{}", text);
    return;
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(output, ec)) && !force) {
    return ctx.fail(exit_code::kError, fmt::format("refuse to overwrite {}: it already exists "
                                                   "(--force replaces it)",
                                                   ui::quoted(output)));
  }
  if (Status s = config::write_file_atomically(output, text); !s) {
    return ctx.fail(exit_code::kError, s.error().message);
  }
  ui::info("wrote {}: fill it in, then 'bbox agents import {}'", ui::quoted(output), output);
}

void add_add(CLI::App& app, CLI::App& agents, Context& ctx) {
  auto name = std::make_shared<std::string>();
  auto f = std::make_shared<AddFlags>();
  auto* cmd = agents.add_subcommand("add", "Declare a custom agent in the global config");
  cmd->footer(
      "The agent is validated before anything is written, then spliced into the global "
      "config, which is replaced atomically: its other keys and its comments are kept. If its "
      "agents section is in a layout that cannot take the entry in place (a flow-style "
      "mapping), the file is rewritten without its comments, and bbox says so.\n"
      "Example: bbox agents add aider --image ghcr.io/acme/aider:1 --command aider "
      "--command=--yes --env 'OPENAI_*' --allow-host api.openai.com:443");
  cmd->add_option("name", *name, "Agent name: a letter or digit, then letters, digits, - or _")
      ->type_name("NAME")
      ->required();
  cmd->add_option("--image", f->image, "OCI image holding the agent")
      ->type_name("IMAGE")
      ->required();
  cmd->add_option("--command", f->command,
                  "The command; repeat for each argument (--command=--flag for dashes)")
      ->type_name("ARG")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--description", f->description, "What the agent is")->type_name("TEXT");
  auto repeat = [&](const char* flag, std::vector<std::string>& into, const char* type,
                    const char* help) {
    cmd->add_option(flag, into, help)
        ->type_name(type)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  repeat("--env", f->env_forward, "PATTERN", "Host variable (NAME or PREFIX*) to forward");
  repeat("--env-required", f->env_required, "NAME", "Host variable that must be set to run it");
  repeat("--allow-host", f->allow_hosts, "HOST[:PORT]", "Host the agent may reach");
  cmd->add_option("--cpus", f->cpus, "vCPUs, 1 to 128")->type_name("N")->check(CLI::Range(1, 128));
  cmd->add_option("--memory", f->memory, "Memory, e.g. 4g")->type_name("SIZE");
  cmd->add_option("--tmp-size", f->tmp_size, "Size of /tmp, e.g. 2g")->type_name("SIZE");
  cmd->add_option("--egress-profile", f->egress_profile, "permissive, standard (default), locked")
      ->type_name("PROFILE");
  cmd->add_flag("--mcp", f->mcp, "Offer the MCP proxy (BBOX_MCP_URL)");
  cmd->add_option("--mcp-authz-profile", f->mcp_authz, "full-access, observe or safe-tools")
      ->type_name("PROFILE");
  cmd->add_flag("-f,--force", f->force, "Replace an agent of that name (or override a built-in)");
  cmd->callback([&app, &ctx, name, f] { add(app, ctx, *name, *f); });
}

}  // namespace

void add_agents_edit_commands(CLI::App& app, CLI::App& agents, Context& ctx) {
  add_add(app, agents, ctx);

  auto init_name = std::make_shared<std::string>("my-agent");
  auto output = std::make_shared<std::string>();
  auto init_force = std::make_shared<bool>(false);
  auto* ini = agents.add_subcommand("init", "Print (or write) a commented agent declaration");
  ini->add_option("name", *init_name, "Agent name (default: my-agent)")->type_name("NAME");
  ini->add_option("-o,--output", *output, "Write it to this file instead of printing it")
      ->type_name("FILE");
  ini->add_flag("-f,--force", *init_force, "Overwrite the output file");
  ini->callback(
      [&ctx, init_name, output, init_force] { init(ctx, *init_name, *output, *init_force); });

  auto file = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto* imp =
      agents.add_subcommand("import", "Declare the agent a declaration file holds (as add does)");
  imp->add_option("file", *file, "Declaration file (YAML: name plus the agent's keys)")->required();
  imp->add_flag("-f,--force", *force, "Replace an agent of that name (or override a built-in)");
  imp->callback([&app, &ctx, file, force] { import_file(app, ctx, *file, *force); });

  auto* exp = agents.add_subcommand("export",
                                    "Print a custom agent as a declaration file (no default_env)");
  auto name = std::make_shared<std::string>();
  exp->add_option("name", *name, "Agent name")->type_name("NAME")->required();
  exp->callback([&ctx, name] { export_agent(ctx, *name); });
}

}  // namespace bbox::cli
