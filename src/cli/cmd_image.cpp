// bbox image ls|pull|rm|prune|inspect|build: the local image store.
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/image/build.h"
#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

using image::Store;
using image::StoredImage;

std::string human_size(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.1f} GiB", bytes / 1073741824.0);
  if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.1f} KiB", bytes / 1024.0);
}

std::string human_age(int64_t when) {
  if (when <= 0) return "never";
  int64_t s = std::time(nullptr) - when;
  if (s < 120) return "just now";
  if (s < 7200) return fmt::format("{} minutes ago", s / 60);
  if (s < 172800) return fmt::format("{} hours ago", s / 3600);
  return fmt::format("{} days ago", s / 86400);
}

void list(Context& ctx) {
  auto images = Store::open_default().list();
  if (!images) {
    ui::error("{}", images.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  fmt::print("{:<60} {:<14} {:>10}  {}\n", "NAME", "DIGEST", "SIZE", "LAST USED");
  for (const auto& im : *images) {
    fmt::print("{:<60} {:<14} {:>10}  {}\n", ui::printable(im.reference), im.digest.substr(7, 12),
               human_size(im.size), human_age(im.last_used));
  }
  ctx.exit_code = exit_code::kOk;
}

void pull(Context& ctx, const std::string& ref, const std::string& policy_text) {
  auto policy = image::parse_pull_policy(policy_text);
  if (!policy) {
    ui::error("{}", policy.error().message);
    ctx.exit_code = exit_code::kUsage;
    return;
  }
  auto r = image::resolve_image(ref, *policy);
  if (!r) {
    ui::error("{}", r.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  fmt::print("{} {}\n", r->digest, r->root_image.string());
  ctx.exit_code = exit_code::kOk;
}

nlohmann::json describe(const StoredImage& im, const Store& store) {
  const auto& c = im.config;
  return {{"reference", im.reference},
          {"digest", im.digest},
          {"size", im.size},
          {"created", im.created},
          {"last_used", im.last_used},
          {"root_image", store.root_image_path(im.digest).string()},
          {"blobs", im.blobs},
          {"config",
           {{"Env", c.env},
            {"Entrypoint", c.entrypoint},
            {"Cmd", c.cmd},
            {"WorkingDir", c.working_dir},
            {"User", c.user},
            {"Labels", c.labels}}}};
}

void inspect(Context& ctx, const std::string& name) {
  Store store = Store::open_default();
  auto images = store.list();
  if (!images) {
    ui::error("{}", images.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& im : *images) {
    std::string hex = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
    bool by_digest = hex.size() >= 6 && im.digest.compare(7, hex.size(), hex) == 0;
    auto canonical = image::canonical_reference(name);
    if (im.reference == name || (canonical.ok() && im.reference == *canonical) || by_digest) {
      out.push_back(describe(im, store));
    }
  }
  if (out.empty()) {
    ui::error("inspect image {}: not in the image store (see bbox image ls)", ui::quoted(name));
    ctx.exit_code = exit_code::kError;
    return;
  }
  fmt::print("{}\n", out.dump(2));
  ctx.exit_code = exit_code::kOk;
}

void remove(Context& ctx, const std::vector<std::string>& names) {
  Store store = Store::open_default();
  ctx.exit_code = exit_code::kOk;
  for (const auto& name : names) {
    auto removed = store.remove(name);
    auto canonical = image::canonical_reference(name);
    if (!removed && canonical.ok() && *canonical != name) {
      auto again = store.remove(*canonical);
      if (again) removed = std::move(again);
    }
    if (!removed) {
      ui::error("{}", removed.error().message);
      ctx.exit_code = exit_code::kError;
      continue;
    }
    for (const auto& im : *removed) fmt::print("removed {} {}\n", im.reference, im.digest);
  }
}

void prune(Context& ctx, int days) {
  auto removed = Store::open_default().prune(days);
  if (!removed) {
    ui::error("{}", removed.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  for (const auto& im : *removed) fmt::print("removed {} {}\n", im.reference, im.digest);
  ui::info("removed {} images unused for {} days or more", removed->size(), days);
  ctx.exit_code = exit_code::kOk;
}

void build(Context& ctx, const std::string& name) {
  auto r = image::build_agent_image(name, image::BuildOptions{ctx.verbose});
  if (!r) {
    ui::error("{}", r.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  fmt::print("{}\n", *r);
  ctx.exit_code = exit_code::kOk;
}

}  // namespace

void add_image_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("image",
                                 "Manage agent images (ls, pull, rm, prune, inspect, "
                                 "build)");
  cmd->require_subcommand(1);

  cmd->add_subcommand("ls", "List stored images: name, digest, size, last use")->callback([&ctx] {
    list(ctx);
  });

  auto* p = cmd->add_subcommand("pull", "Pull or import an image and build its root image");
  auto ref = std::make_shared<std::string>();
  auto policy = std::make_shared<std::string>("always");
  p->add_option("image", *ref,
                "docker://REF (default), oci:DIR[:TAG], oci-archive:FILE, "
                "docker-archive:FILE or dir:PATH")
      ->required();
  p->add_option("--pull", *policy, "always, if-not-present or never")->capture_default_str();
  p->callback([&ctx, ref, policy] { pull(ctx, *ref, *policy); });

  auto* r = cmd->add_subcommand("rm", "Remove images (by name or digest) and their files");
  auto names = std::make_shared<std::vector<std::string>>();
  r->add_option("images", *names, "names or digests")->required();
  r->callback([&ctx, names] { remove(ctx, *names); });

  auto* pr = cmd->add_subcommand("prune", "Remove images unused for some days");
  auto days = std::make_shared<int>(30);
  pr->add_option("--days", *days, "unused for at least this many days")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  pr->callback([&ctx, days] { prune(ctx, *days); });

  auto* in = cmd->add_subcommand("inspect", "Show a stored image's digest, config and files");
  auto iname = std::make_shared<std::string>();
  in->add_option("image", *iname, "name or digest")->required();
  in->callback([&ctx, iname] { inspect(ctx, *iname); });

  auto* b = cmd->add_subcommand("build",
                                "Build an agent image locally (base, claude-code, "
                                "codex, opencode, gemini, hermes)");
  auto bname = std::make_shared<std::string>();
  b->add_option("name", *bname, "image to build")->required();
  b->callback([&ctx, bname] { build(ctx, *bname); });
}

}  // namespace bbox::cli
