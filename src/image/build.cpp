// bbox image build NAME: the entry points of the local image builds.
#include "bbox/image/build.h"

#include <algorithm>
#include <chrono>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "image/build_steps.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

// Removes what builds killed midway left in work/tmp. Only directories
// untouched for a day go: a build running now keeps writing into its own.
void remove_stale_temporaries(const fs::path& tmp) {
  std::error_code ec;
  auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (const auto& e : fs::directory_iterator(tmp, ec)) {
    std::error_code ec2;
    if (e.is_directory(ec2) && e.last_write_time(ec2) < cutoff) fs::remove_all(e.path(), ec2);
  }
}

Result<build::Context> make_context(const std::string& name, const BuildOptions& opts) {
  fs::path work = paths::cache_dir() / "build";
  std::error_code ec;
  fs::create_directories(work / "logs", ec);
  if (ec) return Error{"create '" + (work / "logs").string() + "': " + ec.message()};
  auto layout = build::OciLayout::open(build_layout_dir());
  if (!layout) return layout.error();
  remove_stale_temporaries(work / "tmp");

  fs::path log;
  if (!opts.verbose) {
    log = work / "logs" / (name + ".log");
    fs::remove(log, ec);
  }
  return build::Context{std::move(*layout), work, log, "/etc/apt"};
}

bool known(const std::string& name) {
  const auto& names = buildable_images();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string known_list() {
  std::string out;
  for (const auto& n : buildable_images()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

const std::vector<std::string>& buildable_images() {
  static const std::vector<std::string> names{"base",     "claude-code", "codex",
                                              "opencode", "gemini",      "hermes"};
  return names;
}

std::filesystem::path build_layout_dir() { return paths::cache_dir() / "build" / "oci"; }

std::string built_image_reference(const std::string& name) {
  return "oci:" + build_layout_dir().string() + ":" + name;
}

Result<std::string> build_agent_image(const std::string& name, const BuildOptions& opts) {
  if (!known(name)) {
    return Error{"build image " + ui::quoted(name) + ": no such image (known: " + known_list() +
                 ")"};
  }
  auto ctx = make_context(name, opts);
  if (!ctx) return ctx.error();
  auto manifest = name == "base" ? build::ensure_base(*ctx) : build::build_agent(*ctx, name);
  if (!manifest) return manifest.error();
  return built_image_reference(name);
}

Result<std::string> ensure_agent_image(const std::string& name, const BuildOptions& opts) {
  if (!known(name)) {
    return Error{"find image " + ui::quoted(name) + ": no such image (known: " + known_list() +
                 ")"};
  }
  auto layout = build::OciLayout::open(build_layout_dir());
  if (!layout) return layout.error();
  if (layout->find(name)) return built_image_reference(name);
  ui::info("image 'bbox-local/{}:latest' is not built yet: building it now", name);
  return build_agent_image(name, opts);
}

}  // namespace bbox::image
