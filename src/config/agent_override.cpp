// Reading agents.<name> from a config file.
#include <fmt/format.h>

#include "config/yaml_reader.h"

namespace bbox::config::detail {
namespace {

using Node = YAML::Node;

std::vector<SettingsEntry> read_settings(const YamlReader& r, const Node& n,
                                         const std::string& path) {
  std::vector<SettingsEntry> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) r.fail(n, path, "expected a list of settings entries");
  for (size_t i = 0; i < n.size(); ++i) {
    SettingsEntry e;
    r.each(n[i], fmt::format("{}[{}]", path, i),
           {"category", "host_path", "guest_path", "kind", "format", "optional", "allow_keys"},
           [&](const std::string& k, const std::string& sub, const Node& v) {
             if (k == "optional")
               e.optional = r.boolean(v, sub);
             else if (k == "allow_keys")
               e.allow_keys = r.strings(v, sub);
             else if (k == "category")
               e.category = r.string(v, sub);
             else if (k == "host_path")
               e.host_path = r.string(v, sub);
             else if (k == "guest_path")
               e.guest_path = r.string(v, sub);
             else if (k == "kind")
               e.kind = r.string(v, sub);
             else
               e.format = r.string(v, sub);
           });
    out.push_back(std::move(e));
  }
  return out;
}

AgentMcp read_mcp(const YamlReader& r, const Node& n, const std::string& path) {
  AgentMcp m;
  r.each(n, path, {"enabled", "mode", "authz", "inject"},
         [&](const std::string& k, const std::string& sub, const Node& v) {
           if (k == "enabled") {
             m.enabled = r.boolean(v, sub);
           } else if (k == "mode") {
             m.mode = r.optional_string(v, sub);
           } else if (k == "authz") {
             r.each(v, sub, {"profile"}, [&](auto&&, const std::string& psub, const Node& pv) {
               m.authz_profile = r.optional_string(pv, psub);
             });
           } else {
             if (!v.IsNull() && !v.IsSequence()) r.fail(v, sub, "expected a list of entries");
             m.inject_entries = v.IsNull() ? 0 : v.size();
             for (size_t i = 0; i < m.inject_entries; ++i) {
               r.each(v[i], fmt::format("{}[{}]", sub, i), {"guest_path", "format", "merge"},
                      [](auto&&...) {});
             }
           }
         });
  return m;
}

void read_egress_hosts(const YamlReader& r, const Node& n, const std::string& path,
                       AgentOverride& a) {
  r.each(n, path, {"permissive", "standard", "locked"},
         [&](const std::string& k, const std::string& sub, const Node& v) {
           a.egress_hosts[*parse_egress_profile(k)] = r.hosts(v, sub);
         });
}

void read_env_patterns(const YamlReader& r, const Node& n, const std::string& path,
                       AgentOverride& a) {
  std::vector<std::string> patterns = r.strings(n, path);
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (Status s = validate_env_pattern(patterns[i]); !s) {
      r.fail(n[i], fmt::format("{}[{}]", path, i), s.error().message);
    }
  }
  a.env_forward = std::move(patterns);
}

}  // namespace

AgentOverride read_agent_override(const YamlReader& r, const Node& n, const std::string& path) {
  AgentOverride a;
  a.where = r.where(n);
  r.each(n, path,
         {"image", "description", "command", "env_forward", "env_required", "default_env",
          "credentials", "settings", "cpus", "memory", "tmp_size", "egress_profile", "egress_hosts",
          "allow_hosts", "mcp", "settings_import"},
         [&](const std::string& k, const std::string& sub, const Node& v) {
           if (k == "image")
             a.image = r.optional_string(v, sub);
           else if (k == "description")
             a.description = r.string(v, sub);
           else if (k == "command")
             a.command = r.strings(v, sub);
           else if (k == "env_forward")
             read_env_patterns(r, v, sub, a);
           else if (k == "env_required")
             a.env_required = r.strings(v, sub);
           else if (k == "default_env")
             a.default_env = r.string_map(v, sub);
           else if (k == "credentials") {
             r.each(v, sub, {"persist"}, [&](auto&&, const std::string& psub, const Node& pv) {
               a.credentials_persist = r.strings(pv, psub);
             });
           } else if (k == "settings")
             a.settings = read_settings(r, v, sub);
           else if (k == "cpus") {
             int64_t cpus = r.integer(v, sub, 0, kMaxCpus);
             if (cpus > 0) a.cpus = static_cast<int>(cpus);
           } else if (k == "memory")
             a.memory_mib = r.size(v, sub, kMaxMemoryMib);
           else if (k == "tmp_size")
             a.tmp_size_mib = r.size(v, sub, kMaxTmpSizeMib);
           else if (k == "egress_profile")
             a.egress_profile = r.egress_profile(v, sub);
           else if (k == "egress_hosts")
             read_egress_hosts(r, v, sub, a);
           else if (k == "allow_hosts")
             a.allow_hosts = r.hosts(v, sub);
           else if (k == "mcp")
             a.mcp = read_mcp(r, v, sub);
           else
             a.settings_import = r.settings_import(v, sub);
         });
  return a;
}

}  // namespace bbox::config::detail
