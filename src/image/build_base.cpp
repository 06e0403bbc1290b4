// The base image: Debian from the host's mirror, made by mmdebstrap.
//
// As root mmdebstrap runs in its root mode; as a normal user in its unshare
// mode (a user namespace over the user's subordinate ids). Either way it
// writes a tar whose entries carry the owners Debian's packages say, which
// becomes the image's one layer unchanged.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "bbox/common/message.h"
#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

constexpr const char* kSuite = "bookworm";

const std::vector<std::string>& base_packages() {
  static const std::vector<std::string> p{
      "bash", "ca-certificates", "curl",   "gcc",    "git",     "jq",     "less",
      "make", "openssh-client",  "passwd", "procps", "python3", "ripgrep"};
  return p;
}

// Docs, manual pages and translations are left out; copyright files stay.
const std::vector<std::string>& dpkg_options() {
  static const std::vector<std::string> o{
      "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/doc/*",
      "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/locale/*",
      "path-exclude=/usr/share/info/*"};
  return o;
}

// Where the package list is written inside the new root, then removed.
constexpr const char* kPackageList = "bbox-packages.txt";

const char* kUserHook =
    "chroot \"$1\" useradd --uid 1000 --user-group --create-home --home-dir /home/sandbox "
    "--shell /bin/bash sandbox";

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> mmdebstrap_argv(const std::vector<std::string>& sources,
                                         const fs::path& out_tar, const fs::path& pkg_list) {
  std::vector<std::string> argv{"mmdebstrap", ::geteuid() == 0 ? "--mode=root" : "--mode=unshare",
                                "--variant=apt", "--format=tar",
                                "--include=" + join(base_packages(), ",")};
  for (const auto& o : dpkg_options()) argv.push_back("--dpkgopt=" + o);
  argv.push_back(std::string("--customize-hook=") + kUserHook);
  // The package list is written inside the new root and copied out with
  // mmdebstrap's copy-out: in unshare mode the hooks' root is a subordinate
  // id that may not write to the user's directories.
  argv.push_back(
      "--customize-hook=chroot \"$1\" dpkg-query -W -f='${Package}=${Version}\\n' > "
      "\"$1/" +
      std::string(kPackageList) + "\"");
  argv.push_back("--customize-hook=copy-out /" + std::string(kPackageList) + " " +
                 shell_quote(pkg_list.parent_path().string()));
  argv.push_back("--customize-hook=rm \"$1/" + std::string(kPackageList) + "\"");
  argv.push_back(kSuite);
  argv.push_back(out_tar.string());
  argv.insert(argv.end(), sources.begin(), sources.end());
  return argv;
}

std::string mirror_uris(const std::vector<std::string>& sources) {
  std::vector<std::string> uris;
  for (const auto& s : sources) {
    std::istringstream in(s);
    std::string deb, uri;
    in >> deb >> uri;
    if (std::find(uris.begin(), uris.end(), uri) == uris.end()) uris.push_back(uri);
  }
  return join(uris, ", ");
}

std::map<std::string, std::string> base_labels(const std::string& key,
                                               const std::vector<std::string>& sources,
                                               const std::string& packages) {
  std::string listed;
  std::istringstream in(packages);
  for (std::string line; std::getline(in, line);) listed += (listed.empty() ? "" : " ") + line;
  return {{kRecipeLabel, key},
          {"org.opencontainers.image.title", "bbox-local/base"},
          {"org.opencontainers.image.description",
           "Debian " + std::string(kSuite) + " base for bbox agents, built by mmdebstrap"},
          {"dev.bbox.debian.suite", kSuite},
          {"dev.bbox.debian.sources", join(sources, "; ")},
          {"dev.bbox.debian.requested", join(base_packages(), " ")},
          {"dev.bbox.debian.packages", listed}};
}

// mmdebstrap's first "E: " line says what went wrong; its last only that
// it failed.
std::string first_error_line(const fs::path& log) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("E: ", 0) == 0) return line.substr(0, 300);
  }
  return {};
}

bool recipe_matches(const Context& ctx, const std::string& name, const std::string& key) {
  auto cfg = read_image_config(ctx.layout, name);
  if (!cfg) return false;
  auto labels = (*cfg)["config"].value("Labels", nlohmann::json::object());
  return labels.value(kRecipeLabel, "") == key;
}

}  // namespace

std::string base_recipe_key(const std::vector<std::string>& sources) {
  std::string text = "bbox base recipe 1\n" + std::string(kSuite) + "\n" +
                     join(base_packages(), ",") + "\n" + join(dpkg_options(), ",") + "\n" +
                     kUserHook + "\n" + join(sources, "\n");
  return sha256_text(text);
}

Result<Descriptor> ensure_base(Context& ctx) {
  auto lock = FileLock::acquire(ctx.work / "base.lock");
  if (!lock) return lock.error();
  auto sources = host_debian_sources(ctx.etc_apt, kSuite);
  if (!sources) return sources.error().wrap("build 'base'");
  std::string key = base_recipe_key(*sources);
  if (auto found = ctx.layout.find("base"); found && recipe_matches(ctx, "base", key)) {
    ui::info("image 'bbox-local/base:latest' is up to date ({})", found->digest.substr(0, 19));
    return *found;
  }

  auto tmp = TempDir::create(ctx.work / "tmp", "base");
  if (!tmp) return tmp.error();
  fs::path tar = tmp->path() / "layer.tar", pkgs = tmp->path() / kPackageList;
  ui::info(
      "building image 'bbox-local/base:latest': Debian {} from {} with mmdebstrap "
      "(about a minute)",
      kSuite, mirror_uris(*sources));
  auto start = std::chrono::steady_clock::now();
  auto st = run_logged(mmdebstrap_argv(*sources, tar, pkgs), ctx.log,
                       {"SOURCE_DATE_EPOCH=" + std::to_string(kEpoch)});
  if (!st) {
    std::string first = first_error_line(ctx.log);
    return Error{"build 'base': mmdebstrap from the Debian mirror " + mirror_uris(*sources) + ": " +
                 st.error().message + (first.empty() ? "" : ": " + first) +
                 (ctx.log.empty() ? "" : "; full log in '" + ctx.log.string() + "'")};
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ui::info("mmdebstrap finished in {:.1f} s", secs);

  std::ifstream in(pkgs);
  std::string packages((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (packages.empty()) return Error{"build 'base': mmdebstrap wrote no package list"};
  auto layer = ctx.layout.add_blob_file(tar, "application/vnd.oci.image.layer.v1.tar");
  if (!layer) return layer.error();

  ImagePlan plan{{*layer},
                 {"mmdebstrap --variant=apt " + std::string(kSuite) + " +" +
                  join(base_packages(), ",") + "; useradd sandbox (uid 1000)"},
                 {"PATH=/home/sandbox/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                  "/usr/bin:/sbin:/bin"},
                 base_labels(key, *sources, packages)};
  auto manifest = write_image(ctx.layout, plan);
  if (!manifest) return manifest.error();
  auto tagged = ctx.layout.tag("base", *manifest);
  if (!tagged) return tagged.error();
  return *manifest;
}

}  // namespace bbox::image::build
