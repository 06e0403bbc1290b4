// build_root_image: an ext4 file made from a root file system tree.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "bbox/common/unique_fd.h"
#include "bbox/image/image.h"
#include "image/process.h"
#include "image/tree.h"
#include "image/userns.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kInodeSize = 256;

// Room for the tree, its inode tables and ext4's own metadata, plus headroom
// for the guest's overlay whiteouts (which live elsewhere) is not needed: the
// image is read-only. 10% and 32 MiB cover bitmaps, descriptors and extents.
uint64_t image_size(const TreeStats& st, uint64_t inodes) {
  uint64_t raw = st.data_bytes + inodes * kInodeSize;
  uint64_t size = raw + raw / 10 + 32 * kMiB;
  return (size + kMiB - 1) / kMiB * kMiB;
}

// A temporary file beside out, removed unless released.
class TempImage {
 public:
  static Result<TempImage> create(const fs::path& out) {
    std::string tmpl = (out.parent_path() / ("." + out.filename().string() + ".tmp-XXXXXX"));
    UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd) return errno_error("create a temporary file beside " + out.string(), errno);
    return TempImage(tmpl, std::move(fd));
  }
  TempImage(TempImage&& o) noexcept : path_(std::move(o.path_)), fd_(std::move(o.fd_)) {
    o.path_.clear();
  }
  ~TempImage() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }
  int fd() const { return fd_.get(); }
  void release() { path_.clear(); }

 private:
  TempImage(fs::path p, UniqueFd fd) : path_(std::move(p)), fd_(std::move(fd)) {}
  fs::path path_;
  UniqueFd fd_;
};

Status run_mkfs(const fs::path& rootfs, const TempImage& tmp, uint64_t size, uint64_t inodes) {
  if (::ftruncate(tmp.fd(), static_cast<off_t>(size)) != 0) {
    return errno_error("size " + tmp.path().string(), errno);
  }
  auto r = run_program({"mkfs.ext4",
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-b",
                        "4096",
                        "-m",
                        "0",
                        "-I",
                        std::to_string(kInodeSize),
                        "-N",
                        std::to_string(inodes),
                        "-O",
                        "^has_journal,^resize_inode",
                        "-L",
                        "bbox-root",
                        "-E",
                        "root_owner=0:0",
                        "-d",
                        rootfs.string(),
                        tmp.path().string()});
  if (!r) return r.error();
  return ok_status();
}

// Runs with root's powers over the tree's files (see userns.h).
Status build_as_image_root(const fs::path& rootfs, const fs::path& out) {
  auto stats = walk_tree(rootfs);
  if (!stats) return stats.error();
  auto tmp = TempImage::create(out);
  if (!tmp) return tmp.error();

  uint64_t inodes = stats->entries + stats->entries / 10 + 1024;
  uint64_t size = image_size(*stats, inodes);
  Status made = run_mkfs(rootfs, *tmp, size, inodes);
  if (!made.ok()) {
    // The estimate can fall short for trees of many tiny directories; one
    // retry with twice the room, from a clean file.
    if (::ftruncate(tmp->fd(), 0) != 0) return errno_error("truncate " + out.string(), errno);
    made = run_mkfs(rootfs, *tmp, size * 2, inodes * 2);
  }
  if (!made.ok()) return made.error();

  if (::fsync(tmp->fd()) != 0) return errno_error("sync " + tmp->path().string(), errno);
  if (::fchmod(tmp->fd(), 0444) != 0) return errno_error("chmod " + tmp->path().string(), errno);
  if (::rename(tmp->path().c_str(), out.c_str()) != 0) {
    return errno_error("rename into " + out.string(), errno);
  }
  tmp->release();
  return ok_status();
}

}  // namespace

Result<fs::path> build_root_image(const fs::path& rootfs_dir, const fs::path& out_image) {
  std::error_code ec;
  fs::create_directories(out_image.parent_path(), ec);
  if (ec) return Error{"create " + out_image.parent_path().string() + ": " + ec.message()};
  Status s = run_as_image_root([&] { return build_as_image_root(rootfs_dir, out_image); });
  if (!s.ok()) return s.error().wrap("build root image from " + rootfs_dir.string());
  return out_image;
}

}  // namespace bbox::image
