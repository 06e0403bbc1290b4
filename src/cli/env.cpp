// Building the guest environment from the host's. Values are copied, never
// logged or printed.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "bbox/common/message.h"
#include "bbox/config/parse.h"
#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

bool reserved(std::string_view name) { return name.substr(0, 5) == "BBOX_"; }

bool forwarded(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return config::env_pattern_matches(p, name); });
}

}  // namespace

Result<std::map<std::string, std::string>> resolve_env(const EnvPlan& plan,
                                                       const char* const* environ) {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : plan.defaults) {
    if (!reserved(k)) env[k] = v;
  }
  std::map<std::string, std::string> host;
  for (const char* const* e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    host.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  for (const std::string& name : plan.required) {
    if (host.count(name) == 0) {
      return Error{fmt::format("agent {} requires {} on the host, and it is not set",
                               ui::quoted(plan.agent_name), ui::quoted(name))};
    }
  }
  for (const auto& [k, v] : host) {
    if (forwarded(plan.patterns, k) && !reserved(k)) env[k] = v;
  }
  env["BBOX_AGENT_NAME"] = plan.agent_name;
  env["BBOX_WORKSPACE"] = "/workspace";
  return env;
}

}  // namespace bbox::cli
