// Fetching npm package tarballs on the host with the npm client. `npm view`
// and `npm pack --ignore-scripts` download and read metadata only: no code
// from any package runs here.
#include <fstream>

#include "image/build_steps.h"
#include "image/process.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

// Flags that keep npm from asking for anything but what we name, from
// waiting minutes on an unreachable registry, and from keeping logs of its own.
std::vector<std::string> npm_command(std::vector<std::string> args) {
  std::vector<std::string> argv{"npm",
                                "--no-update-notifier",
                                "--no-fund",
                                "--no-audit",
                                "--logs-max=0",
                                "--fetch-retries=1",
                                "--fetch-timeout=60000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs npm with --json; returns what it printed on stdout, parsed. When npm
// fails, its JSON error summary (or else its last line) is the cause.
Result<json> run_npm_json(const std::vector<std::string>& args, const std::string& what,
                          const fs::path& log) {
  auto tmp = TempDir::create(fs::temp_directory_path(), "bbox-npm");
  if (!tmp) return tmp.error();
  fs::path out = tmp->path() / "stdout.json";
  auto st = run_logged(npm_command(args), log, {}, out);
  std::ifstream in(out);
  json j = json::parse(in, nullptr, false);
  if (st.ok() && !j.is_discarded()) return j;

  std::string cause = st.ok() ? "npm gave no usable answer" : st.error().message;
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    cause = j["error"].value("summary", j["error"].value("code", cause));
  }
  return Error{what + " from the npm registry (" + npm_registry(log) + "): " + cause};
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
  auto j = run_npm_json(args, "look up '" + spec + "'", log);
  if (!j) return j.error();
  if (j->is_null()) return Error{"look up '" + spec + "': no such version"};
  if (j->is_array()) {  // a range matching several versions: the last is the newest
    if (j->empty()) return Error{"look up '" + spec + "': no such version"};
    *j = json(j->back());
  }
  if (fields.size() == 1 && !j->is_object()) *j = json{{fields[0], *j}};
  return j;
}

Result<NpmTarball> npm_pack(const std::string& spec, const fs::path& dest, const fs::path& log) {
  auto out = run_npm_json(
      {"pack", "--ignore-scripts", "--json", "--pack-destination", dest.string(), spec},
      "fetch '" + spec + "'", log);
  if (!out) return out.error();
  const json& j = *out;
  if (!j.is_array() || j.size() != 1 || !j[0].is_object()) {
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
