#include "cli/render.h"

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/config/parse.h"

namespace bbox::cli {
namespace {

using config::Sourced;
using nlohmann::json;
using session::EgressProfile;

const EgressProfile kProfiles[] = {EgressProfile::kPermissive, EgressProfile::kStandard,
                                   EgressProfile::kLocked};

json profiles_json(const config::Agent& a) {
  json out = json::object();
  for (EgressProfile p : kProfiles) {
    json entry = {{"allows_all_public_hosts", p == EgressProfile::kPermissive}};
    auto it = a.egress_hosts.value.find(p);
    entry["hosts"] = p == EgressProfile::kPermissive || it == a.egress_hosts.value.end()
                         ? json::array()
                         : hosts_json(it->second);
    out[config::egress_profile_name(p)] = entry;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + ui::printable(s);
  return out.empty() ? "(none)" : out;
}

template <typename T>
std::string src(const Sourced<T>& s) {
  return fmt::format("[{}]", config::source_name(s.source));
}

}  // namespace

json hosts_json(const std::vector<session::AllowedHost>& hosts) {
  json out = json::array();
  for (const session::AllowedHost& h : hosts) out.push_back(config::format_allowed_host(h));
  return out;
}

json agent_json(const config::Agent& a) {
  auto with_source = [](json value, config::Source s) {
    return json{{"value", std::move(value)}, {"source", config::source_name(s)}};
  };
  json j = {{"name", a.name},
            {"builtin", a.builtin},
            {"state_dir", a.state_dir},
            {"description", sourced_json(a.description)},
            {"image", sourced_json(a.image)},
            {"command", sourced_json(a.command)},
            {"env_forward", sourced_json(a.env_forward)},
            {"env_required", sourced_json(a.env_required)},
            {"cpus", sourced_json(a.cpus)},
            {"memory_mib", sourced_json(a.memory_mib)},
            {"tmp_size_mib", sourced_json(a.tmp_size_mib)}};
  json names = json::array();
  for (const auto& kv : a.default_env.value) names.push_back(kv.first);  // names, never values
  j["default_env_names"] = with_source(names, a.default_env.source);
  j["egress_profile"] =
      with_source(config::egress_profile_name(a.egress_profile.value), a.egress_profile.source);
  j["egress_profiles"] = profiles_json(a);
  j["egress_hosts_source"] = config::source_name(a.egress_hosts.source);
  j["allow_hosts"] = with_source(hosts_json(a.allow_hosts.value), a.allow_hosts.source);
  return j;
}

std::string agent_text(const config::Agent& a) {
  std::string t;
  auto line = [&](const char* key, const std::string& value, const std::string& source) {
    t += source.empty() ? fmt::format("{:<16}{}\n", key, value)
                        : fmt::format("{:<16}{}  {}\n", key, value, source);
  };
  line("name:", a.name, a.builtin ? "[built-in]" : "[global]");
  line("description:", ui::printable(a.description.value), src(a.description));
  line("image:", ui::printable(a.image.value), src(a.image));
  line("command:", join(a.command.value, " "), src(a.command));
  line("env_forward:", join(a.env_forward.value, ", "), src(a.env_forward));
  line("env_required:", join(a.env_required.value, ", "), src(a.env_required));
  std::vector<std::string> names;
  for (const auto& kv : a.default_env.value) names.push_back(kv.first);
  line("default_env:", join(names, ", "), src(a.default_env));
  line("cpus:", std::to_string(a.cpus.value), src(a.cpus));
  line("memory:", config::format_size_mib(a.memory_mib.value), src(a.memory_mib));
  line("tmp_size:", config::format_size_mib(a.tmp_size_mib.value), src(a.tmp_size_mib));
  line("egress_profile:", config::egress_profile_name(a.egress_profile.value),
       src(a.egress_profile));
  line("state_dir:", a.state_dir.empty() ? "(none)" : "~/" + a.state_dir, "");
  for (EgressProfile p : kProfiles) {
    std::string hosts = "all public hosts";
    if (p != EgressProfile::kPermissive) {
      std::vector<std::string> list;
      auto it = a.egress_hosts.value.find(p);
      if (it != a.egress_hosts.value.end()) {
        for (const auto& h : it->second) list.push_back(config::format_allowed_host(h));
      }
      hosts = join(list, ", ");
    }
    line(fmt::format("  {}:", config::egress_profile_name(p)).c_str(), hosts,
         p == EgressProfile::kPermissive ? "" : src(a.egress_hosts));
  }
  std::vector<std::string> extra;
  for (const auto& h : a.allow_hosts.value) extra.push_back(config::format_allowed_host(h));
  line("allow_hosts:", join(extra, ", "), src(a.allow_hosts));
  return t;
}

}  // namespace bbox::cli
