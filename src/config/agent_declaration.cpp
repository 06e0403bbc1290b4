// Agent declaration files: parsing, export from a config text, the template.
#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/config/agent.h"
#include "bbox/config/agent_file.h"
#include "config/yaml_reader.h"

namespace bbox::config {

namespace detail {
// Defined in agent_override.cpp.
AgentOverride read_agent_override(const YamlReader& r, const YAML::Node& n,
                                  const std::string& path);
}  // namespace detail

namespace {

using YAML::Node;

// A YAML block mapping of `node`, ending in a newline.
std::string block_yaml(const Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

Result<AgentDeclaration> parse_root(const detail::YamlReader& r, const Node& root,
                                    const std::string& file) {
  if (!root.IsMap()) {
    r.fail(root, "(top level)", "expected a YAML mapping: name plus the keys of agents.<name>");
  }
  AgentDeclaration d;
  Node body(YAML::NodeType::Map);
  bool named = false;
  r.each_any(root, "", [&](const std::string& key, const std::string& path, const Node& v) {
    if (key == "name") {
      d.name = r.string(v, path);
      named = true;
    } else {
      body[key] = v;
    }
  });
  if (!named || d.name.empty()) {
    return Error{fmt::format("{}: name: required: the agent's name as a top-level key", file)};
  }
  if (Status s = validate_agent_name(d.name); !s) return s.error().wrap(file);
  d.agent = detail::read_agent_override(r, body, "");
  d.agent.where = r.where(root);
  d.body_yaml = body.size() == 0 ? std::string("{}\n") : block_yaml(body);
  return d;
}

}  // namespace

Result<AgentDeclaration> parse_agent_declaration(const std::string& text, const std::string& file) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{
        fmt::format("{}: file is empty: expected an agent declaration (name: plus the "
                    "keys of agents.<name>)",
                    file)};
  }
  detail::YamlReader r(file);
  try {
    return parse_root(r, YAML::Load(text), file);
  } catch (const YAML::Exception& e) {
    return Error{fmt::format("{}:{}:{}: not valid YAML: {}", file, e.mark.line + 1,
                             e.mark.column + 1, e.msg)};
  } catch (const detail::ParseFailure& f) {
    return Error{f.message};
  }
}

Result<AgentDeclaration> read_agent_declaration(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error{fmt::format("read {}: no such file", ui::quoted(path.string()))};
  }
  Result<std::string> text = read_config_text(path);
  if (!text) return text.error();
  return parse_agent_declaration(*text, ui::printable(path.string()));
}

Result<std::string> export_agent_declaration(const std::string& config_text,
                                             const std::string& file, const std::string& name,
                                             bool* dropped_env) {
  Result<FileConfig> parsed = parse_config_text(config_text, file);
  if (!parsed) return parsed.error();
  if (parsed->agents.count(name) == 0) {
    return Error{fmt::format("agent {} is not declared in {}", ui::quoted(name), file)};
  }
  const Node root = YAML::Load(config_text);
  Node agent = YAML::Clone(root["agents"][name]);
  if (agent.IsNull()) agent = Node(YAML::NodeType::Map);
  *dropped_env = agent["default_env"].IsDefined() && agent.remove("default_env");
  Node out(YAML::NodeType::Map);
  out["name"] = name;
  for (const auto& kv : agent) out[kv.first] = kv.second;
  return block_yaml(out);
}

std::string agent_template_text(const std::string& name) {
  return fmt::format(R"(# A custom agent for bbox (and Brood Box). Fill it in, then:
#   bbox agents import THIS_FILE
# Besides name, any key of the global config's agents.<name> may appear; others are errors.
name: {}
description: My own agent
image: registry.example.com/my-agent:latest   # an OCI image that holds the command
command: [my-agent]                           # what bbox runs in the VM, then your args
# env_forward: [MY_AGENT_*]                   # host variables passed in (NAME or PREFIX*)
# env_required: [MY_AGENT_KEY]                # refuse to start when these are unset
# cpus: 2
# memory: 4g                                  # a bare number is MiB; m, g suffixes
# tmp_size: 2g
# credentials:
#   persist: [.my-agent]                      # login state kept between sessions (under home)
# mcp:
#   mode: env                                 # the agent finds the MCP proxy in BBOX_MCP_URL
# A custom agent reaches no host unless you list it: under standard or locked,
# egress_hosts lists the agent's API hosts; permissive allows every public host.
egress_profile: standard
egress_hosts:
  standard:
    - name: api.example.com
      ports: [443]
)",
                     name);
}

}  // namespace bbox::config
