#include "session/guest_env.h"

namespace bbox::session {

std::vector<std::string> guest_environment(const image::ImageConfig& image,
                                           const std::map<std::string, std::string>& forwarded) {
  std::map<std::string, std::string> env;
  env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& entry : image.env) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : forwarded) {
    if (name.rfind("BBOX_", 0) == 0) continue;
    env[name] = value;
  }
  env["BBOX_SANDBOX"] = "1";
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

}  // namespace bbox::session
