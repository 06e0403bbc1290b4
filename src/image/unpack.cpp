#include "image/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "bbox/common/message.h"
#include "bbox/image/image.h"
#include "image/layer.h"
#include "image/safe_path.h"
#include "image/userns.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

// Removes a temporary tree when it goes out of scope, without following links.
class TreeGuard {
 public:
  explicit TreeGuard(fs::path dir) : dir_(std::move(dir)) {}
  ~TreeGuard() {
    UniqueFd parent(::open(dir_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent) (void)remove_at(parent.get(), dir_.filename().string());
  }

 private:
  fs::path dir_;
};

Status unpack_as_image_root(const Store& store, const Manifest& manifest, const fs::path& out) {
  std::string tmpl = (store.tmp_dir() / "rootfs-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("create " + tmpl, errno);
  fs::path tree = tmpl;
  TreeGuard guard(tree);
  if (::chmod(tree.c_str(), 0755) != 0) return errno_error("chmod " + tmpl, errno);

  UnpackLimits limits;
  UnpackStats stats;
  size_t i = 0;
  for (const auto& layer : manifest.layers) {
    ++i;
    ui::info("unpacking layer {}/{} {}", i, manifest.layers.size(), layer.digest.substr(7, 12));
    Status s = apply_layer(tree, store.blob_path(layer.digest), layer.digest, limits, stats);
    if (!s.ok()) return s;
  }
  if (stats.skipped_special > 0) {
    ui::note("skipped {} device nodes, FIFOs and sockets in the image's layers",
             stats.skipped_special);
  }
  auto built = build_root_image(tree, out);
  if (!built) return built.error();
  return ok_status();
}

}  // namespace

Status unpack_and_build(const Store& store, const Manifest& manifest, const fs::path& out) {
  return run_as_image_root([&] { return unpack_as_image_root(store, manifest, out); });
}

}  // namespace bbox::image
