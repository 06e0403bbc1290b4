#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <unordered_set>

#include "image/safe_path.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

std::string join(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "/" : "") + comps[i];
  return out;
}

// One layer being applied. Paths written by this layer are remembered so that
// its own whiteouts only hide lower layers' entries.
class LayerWriter {
 public:
  LayerWriter(int root_fd, archive* a, const UnpackLimits& limits, UnpackStats& stats)
      : root_(root_fd), a_(a), limits_(limits), stats_(stats) {}

  Status apply(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    std::string path = raw ? raw : "";
    auto comps = split_entry_path(path);
    if (!comps) return refuse(path, comps.error().message);
    if (comps->empty()) return ok_status();  // "./": the root itself
    if (++stats_.entries > limits_.max_entries) {
      return Error{"the image has more than " + std::to_string(limits_.max_entries) + " entries"};
    }
    auto parent = open_parent(root_, *comps);
    if (!parent) return refuse(path, parent.error().message);
    const std::string& name = comps->back();
    if (name.rfind(kWhiteout, 0) == 0) return whiteout(parent->get(), *comps, path);

    std::string rel = join(*comps, comps->size());
    written_.insert(rel);
    current_ = *comps;
    return write_entry(parent->get(), name, e, path);
  }

  // Entries written into a directory change its mtime: set directories'
  // times again once the layer is complete, deepest first.
  void restore_directory_times() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      auto parent = open_parent(root_, it->first);
      if (!parent) continue;
      timespec t[2] = {{it->second, 0}, {it->second, 0}};
      ::utimensat(parent->get(), it->first.back().c_str(), t, AT_SYMLINK_NOFOLLOW);
    }
  }

 private:
  Status refuse(const std::string& path, const std::string& why) {
    return Error{"refuse entry '" + path + "': " + why};
  }

  Status whiteout(int dirfd, const std::vector<std::string>& comps, const std::string& path) {
    const std::string& name = comps.back();
    std::string dir = join(comps, comps.size() - 1);
    if (name == kOpaque) {
      return empty_dir_at(dirfd, [&](const std::string& child) {
        return written_.count(dir.empty() ? child : dir + "/" + child) > 0;
      });
    }
    std::string target = name.substr(kWhiteout.size());
    if (target.empty() || target == "." || target == "..") return refuse(path, "bad whiteout");
    return remove_at(dirfd, target);
  }

  Status write_entry(int dirfd, const std::string& name, archive_entry* e,
                     const std::string& path) {
    if (const char* link = archive_entry_hardlink(e)) return hard_link(dirfd, name, link, path);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) return directory(dirfd, name, e);
    if (type != AE_IFREG && type != AE_IFLNK) {
      stats_.skipped_special++;  // devices, FIFOs, sockets: never created
      return ok_status();
    }
    if (Status s = remove_at(dirfd, name); !s.ok()) return s;
    if (type == AE_IFLNK) return symlink(dirfd, name, e);
    return regular(dirfd, name, e, path);
  }

  Status directory(int dirfd, const std::string& name, archive_entry* e) {
    struct stat st;
    bool is_dir =
        ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (!is_dir) {
      if (Status s = remove_at(dirfd, name); !s.ok()) return s;
      if (::mkdirat(dirfd, name.c_str(), 0700) != 0) return errno_error("mkdir " + name, errno);
    }
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno_error("open " + name, errno);
    dir_times_.emplace_back(current_, archive_entry_mtime(e));
    return set_attributes(fd.get(), e, name);
  }

  Status symlink(int dirfd, const std::string& name, archive_entry* e) {
    const char* target = archive_entry_symlink(e);
    // Safety: the link is created, never followed; its target is only ever
    // interpreted inside the guest.
    if (target == nullptr || ::symlinkat(target, dirfd, name.c_str()) != 0) {
      return errno_error("create symlink " + name, errno);
    }
    if (::fchownat(dirfd, name.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                   AT_SYMLINK_NOFOLLOW) != 0) {
      return owner_error(name, e);
    }
    timespec times[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    ::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return ok_status();
  }

  Status regular(int dirfd, const std::string& name, archive_entry* e, const std::string& path) {
    int64_t size = archive_entry_size(e);
    stats_.bytes += size > 0 ? static_cast<uint64_t>(size) : 0;
    if (stats_.bytes > limits_.max_bytes) {
      return Error{"the image's files exceed " + std::to_string(limits_.max_bytes) + " bytes"};
    }
    // Safety: O_EXCL|O_NOFOLLOW creates a new inode; the name was just removed.
    UniqueFd fd(
        ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return errno_error("create " + name, errno);
    if (Status s = copy_data(fd.get(), path); !s.ok()) return s;
    if (::ftruncate(fd.get(), size) != 0) return errno_error("size " + name, errno);
    return set_attributes(fd.get(), e, name);
  }

  Status copy_data(int fd, const std::string& path) {
    const void* buf;
    size_t len;
    la_int64_t offset;
    for (;;) {
      int r = archive_read_data_block(a_, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) return ok_status();
      if (r < ARCHIVE_WARN) {
        return Error{"read '" + path + "': " + archive_error_string(a_)};
      }
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t n = ::pwrite(fd, p, len, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("write '" + path + "'", errno);
        p += n;
        len -= static_cast<size_t>(n);
        offset += n;
      }
    }
  }

  Status hard_link(int dirfd, const std::string& name, const char* link, const std::string& path) {
    auto comps = split_entry_path(link);
    if (!comps || comps->empty())
      return refuse(path, "its link target '" + std::string(link) + "' leaves the root");
    auto tparent = open_parent(root_, *comps);
    if (!tparent) return refuse(path, "link target: " + tparent.error().message);
    struct stat st;
    const char* tname = comps->back().c_str();
    if (::fstatat(tparent->get(), tname, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode)) {
      return refuse(path, "its link target '" + std::string(link) + "' is not a file in the root");
    }
    if (Status s = remove_at(dirfd, name); !s.ok()) return s;
    // Safety: flags 0 links the target entry itself; a symlink is not followed.
    if (::linkat(tparent->get(), tname, dirfd, name.c_str(), 0) != 0) {
      return errno_error("link " + name, errno);
    }
    return ok_status();
  }

  Status set_attributes(int fd, archive_entry* e, const std::string& name) {
    // chown first: it clears setuid and setgid bits, which fchmod then sets.
    if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) != 0) return owner_error(name, e);
    if (::fchmod(fd, archive_entry_perm(e) & 07777) != 0)
      return errno_error("chmod " + name, errno);
    timespec times[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    ::futimens(fd, times);
    return ok_status();
  }

  Status owner_error(const std::string& name, archive_entry* e) {
    int err = errno;
    std::string ids =
        std::to_string(archive_entry_uid(e)) + ":" + std::to_string(archive_entry_gid(e));
    if (err == EINVAL) {
      return Error{"set owner " + ids + " on '" + name +
                   "': the id is outside the subordinate id range (see /etc/subuid)"};
    }
    return errno_error("set owner " + ids + " on '" + name + "'", err);
  }

  int root_;
  archive* a_;
  const UnpackLimits& limits_;
  UnpackStats& stats_;
  std::unordered_set<std::string> written_;
  std::vector<std::string> current_;  // components of the entry being written
  std::vector<std::pair<std::vector<std::string>, time_t>> dir_times_;
};

ArchivePtr open_layer() {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  return a;
}

}  // namespace

Status apply_layer(const fs::path& root, const fs::path& layer, const std::string& name,
                   const UnpackLimits& limits, UnpackStats& stats) {
  auto context = "apply layer " + name;
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd) return errno_error(context + ": open " + root.string(), errno);
  ArchivePtr a = open_layer();
  if (archive_read_open_filename(a.get(), layer.c_str(), 1 << 20) != ARCHIVE_OK) {
    const char* why = archive_error_string(a.get());
    return Error{context + ": not a valid tar layer (" + (why ? why : "unreadable") + ")"};
  }
  LayerWriter writer(root_fd.get(), a.get(), limits, stats);
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      writer.restore_directory_times();
      return ok_status();
    }
    if (r < ARCHIVE_WARN) {
      std::string why = archive_error_string(a.get()) ? archive_error_string(a.get()) : "bad tar";
      return Error{context + ": not a valid tar layer (" + why + ")"};
    }
    if (Status s = writer.apply(e); !s.ok()) return s.error().wrap(context);
  }
}

}  // namespace bbox::image
