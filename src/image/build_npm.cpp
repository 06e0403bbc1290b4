// Fetching npm package tarballs on the host with the npm client. `npm view`
// and `npm pack --ignore-scripts` download and read metadata only: no code
// from any package runs here.
#include "image/build_steps.h"
#include "image/process.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

// Flags that keep npm from asking for anything but what we name, and from
// waiting minutes on an unreachable registry.
std::vector<std::string> npm_command(std::vector<std::string> args) {
  std::vector<std::string> argv{"npm", "--no-update-notifier", "--no-fund", "--no-audit",
                                "--fetch-retries=1", "--fetch-timeout=60000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Error npm_error(const std::string& what, const Error& cause, const fs::path& log) {
  return Error{what + " from the npm registry (" + npm_registry(log) + "): " + cause.message};
}

}  // namespace

std::string npm_registry(const fs::path&) {
  auto out = run_program(npm_command({"config", "get", "registry"}));
  if (!out) return "npm";
  std::string r = *out;
  while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
  return r;
}

Result<json> npm_view(const std::string& spec, const std::vector<std::string>& fields,
                      const fs::path& log) {
  std::vector<std::string> args{"view", "--json", spec};
  args.insert(args.end(), fields.begin(), fields.end());
  auto out = run_program(npm_command(args));
  if (!out) return npm_error("look up '" + spec + "'", out.error(), log);
  json j = json::parse(*out, nullptr, false);
  if (j.is_discarded() || j.is_null()) {
    return Error{"look up '" + spec + "': npm gave no usable answer"};
  }
  if (j.is_array()) {  // a range matching several versions: the last is the newest
    if (j.empty()) return Error{"look up '" + spec + "': no such version"};
    j = j.back();
  }
  if (fields.size() == 1 && !j.is_object()) j = json{{fields[0], j}};
  return j;
}

Result<NpmTarball> npm_pack(const std::string& spec, const fs::path& dest, const fs::path& log) {
  auto out = run_program(npm_command(
      {"pack", "--ignore-scripts", "--json", "--pack-destination", dest.string(), spec}));
  if (!out) return npm_error("fetch '" + spec + "'", out.error(), log);
  json j = json::parse(*out, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.size() != 1 || !j[0].is_object()) {
    return Error{"fetch '" + spec + "': npm pack gave no usable answer"};
  }
  NpmTarball t{j[0].value("name", ""), j[0].value("version", ""), j[0].value("integrity", ""),
               dest / j[0].value("filename", "")};
  if (t.name.empty() || t.version.empty() || t.integrity.rfind("sha512-", 0) != 0 ||
      !fs::is_regular_file(t.file)) {
    return Error{"fetch '" + spec + "': npm pack gave no usable answer"};
  }

  auto got = sha512_integrity(t.file);
  if (!got) return got.error();
  if (*got != t.integrity) {
    return Error{"fetch '" + spec + "': tarball integrity " + *got + " does not match " +
                 t.integrity};
  }
  return t;
}

}  // namespace bbox::image::build
