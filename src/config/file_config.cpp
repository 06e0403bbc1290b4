// Turning one YAML document into a FileConfig, key by key, strictly.
#include "bbox/config/file_config.h"

#include <fmt/format.h>

#include "config/yaml_reader.h"

namespace bbox::config {

std::string Where::str() const { return fmt::format("{}:{}:{}", file, line, column); }

namespace {

using detail::YamlReader;
using Node = YAML::Node;

const char* kMcpAuthzProfiles = "expected full-access, observe, safe-tools or custom";

bool valid_authz(const std::string& p) {
  return p == "full-access" || p == "observe" || p == "safe-tools" || p == "custom";
}

void read_defaults(const YamlReader& r, const Node& n, FileConfig& c) {
  r.each(n, "defaults", {"cpus", "memory", "tmp_size", "egress_profile"},
         [&](const std::string& k, const std::string& path, const Node& v) {
           if (k == "cpus") {
             int64_t cpus = r.integer(v, path, 0, kMaxCpus);
             if (cpus > 0) c.cpus = static_cast<int>(cpus);
           } else if (k == "memory") {
             c.memory_mib = r.size(v, path, kMaxMemoryMib);
           } else if (k == "tmp_size") {
             c.tmp_size_mib = r.size(v, path, kMaxTmpSizeMib);
           } else {
             c.egress_profile = r.egress_profile(v, path);
           }
         });
}

void read_mcp(const YamlReader& r, const Node& n, FileConfig& c) {
  r.each(n, "mcp", {"enabled", "group", "port", "config", "authz", "session_ttl"},
         [&](const std::string& k, const std::string& path, const Node& v) {
           if (k == "enabled") {
             c.mcp_enabled = r.boolean(v, path);
           } else if (k == "group") {
             c.mcp_group = r.optional_string(v, path);
           } else if (k == "port") {
             c.mcp_port = static_cast<uint16_t>(r.integer(v, path, 1, 65535));
           } else if (k == "config") {
             if (!v.IsNull() && !v.IsMap())
               r.fail(v, path, "expected a mapping (authz, aggregation)");
             r.each(v, path, {"authz", "aggregation"}, [](auto&&...) {});
             c.mcp_has_config = !v.IsNull();
           } else if (k == "authz") {
             r.each(v, path, {"profile"}, [&](auto&&, const std::string& sub, const Node& pv) {
               c.mcp_authz_profile = r.optional_string(pv, sub);
               if (c.mcp_authz_profile && !valid_authz(*c.mcp_authz_profile)) {
                 r.fail(pv, sub, kMcpAuthzProfiles);
               }
             });
           } else {
             c.mcp_session_ttl = r.optional_string(v, path);
           }
         });
}

void read_misc(const YamlReader& r, const std::string& k, const Node& v, FileConfig& c) {
  auto bool_into = [&](std::optional<bool>& dst) {
    return [&](auto&&, const std::string& sub, const Node& bv) { dst = r.boolean(bv, sub); };
  };
  if (k == "workspace") {
    r.each(v, k, {"mode"}, [&](auto&&, const std::string& sub, const Node& mv) {
      std::optional<std::string> m = r.optional_string(mv, sub);
      if (!m) return;
      Result<WorkspaceMode> mode = parse_workspace_mode(*m);
      if (!mode) r.fail(mv, sub, mode.error().message);
      c.workspace_mode = *mode;
    });
  } else if (k == "review") {
    r.each(v, k, {"enabled", "exclude_patterns"},
           [&](const std::string& key, const std::string& sub, const Node& rv) {
             if (key == "enabled")
               c.review_enabled = r.boolean(rv, sub);
             else
               c.exclude_patterns = r.strings(rv, sub);
           });
  } else if (k == "network") {
    r.each(v, k, {"allow_hosts"}, [&](auto&&, const std::string& sub, const Node& hv) {
      c.allow_hosts = r.hosts(hv, sub);
    });
  } else if (k == "image") {
    r.each(v, k, {"pull"}, [&](auto&&, const std::string& sub, const Node& pv) {
      std::optional<std::string> p = r.optional_string(pv, sub);
      if (!p) return;
      Result<PullPolicy> policy = parse_pull_policy(*p, /*allow_background=*/true);
      if (!policy) r.fail(pv, sub, policy.error().message);
      c.pull = *policy;
    });
  } else if (k == "git") {
    r.each(v, k, {"forward_token", "forward_ssh_agent"},
           [&](const std::string& key, const std::string& sub, const Node& gv) {
             (key == "forward_token" ? c.git_forward_token : c.git_forward_ssh_agent) =
                 r.boolean(gv, sub);
           });
  } else if (k == "auth") {
    r.each(v, k, {"save_credentials", "seed_host_credentials"},
           [&](const std::string& key, const std::string& sub, const Node& av) {
             (key == "save_credentials" ? c.save_credentials : c.seed_host_credentials) =
                 r.boolean(av, sub);
           });
  } else if (k == "runtime") {
    r.each(v, k, {"firmware_download"}, bool_into(c.firmware_download));
  }
}

}  // namespace

// Defined in agent_override.cpp.
namespace detail {
AgentOverride read_agent_override(const YamlReader& r, const Node& n, const std::string& path);
}

Result<FileConfig> parse_config_text(const std::string& text, const std::string& file) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error{fmt::format("{}: file is empty: expected a YAML mapping of settings", file)};
  }
  YamlReader r(file);
  FileConfig c;
  try {
    Node root = YAML::Load(text);
    if (!root.IsNull() && !root.IsMap()) {
      r.fail(root, "(top level)", "expected a YAML mapping of settings");
    }
    r.each(root, "",
           {"defaults", "workspace", "review", "network", "image", "mcp", "git", "settings_import",
            "auth", "runtime", "agents"},
           [&](const std::string& k, const std::string& path, const Node& v) {
             if (k == "defaults")
               read_defaults(r, v, c);
             else if (k == "mcp")
               read_mcp(r, v, c);
             else if (k == "settings_import")
               c.settings_import = r.settings_import(v, path);
             else if (k == "agents") {
               r.each_any(v, path,
                          [&](const std::string& name, const std::string& sub, const Node& av) {
                            c.agents[name] = detail::read_agent_override(r, av, sub);
                          });
             } else {
               read_misc(r, k, v, c);
             }
           });
  } catch (const YAML::Exception& e) {
    return Error{fmt::format("{}:{}:{}: malformed YAML: {}", file, e.mark.line + 1,
                             e.mark.column + 1, e.msg)};
  } catch (const detail::ParseFailure& f) {
    return Error{f.message};
  }
  c.path = file;
  return c;
}

}  // namespace bbox::config
