#include "image/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "bbox/common/unique_fd.h"
#include "image/digest.h"

namespace bbox::image {
namespace {

constexpr uint64_t kBlock = 4096;

uint64_t round_block(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

struct Walker {
  TreeStats stats;
  Sha256 hash;

  void record(const std::string& rel, const struct stat& st, const std::string& target) {
    stats.entries++;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) stats.data_bytes += round_block(st.st_size);
    if (S_ISLNK(st.st_mode) && st.st_size > 59) stats.data_bytes += kBlock;
    uint64_t size = S_ISDIR(st.st_mode) ? 0 : st.st_size;
    // Length-prefixed fields: no two listings hash the same text.
    hash.update(fmt::format("{}:{}|{:o}|{}|{}|{}|{}.{}|{}:{}\n", rel.size(), rel, st.st_mode,
                            st.st_uid, st.st_gid, size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                            target.size(), target));
  }

  Result<std::vector<std::string>> names(int dirfd, const std::string& rel) {
    // fdopendir takes ownership of the duplicate it is given.
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dup < 0 ? nullptr : ::fdopendir(dup);
    if (d == nullptr) return errno_error("list /" + rel, errno);
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }

  Status walk(int dirfd, const std::string& rel) {
    auto list = names(dirfd, rel);
    if (!list) return list.error();
    for (const auto& name : *list) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_error("stat /" + child, errno);
      }
      std::string target;
      if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
        if (n > 0) target.assign(buf, n);
      }
      record(child, st, target);
      if (!S_ISDIR(st.st_mode)) continue;
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return errno_error("open /" + child, errno);
      if (Status s = walk(sub.get(), child); !s.ok()) return s;
    }
    return ok_status();
  }
};

}  // namespace

Result<TreeStats> walk_tree(const std::filesystem::path& dir) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno_error("open " + dir.string(), errno);
  struct stat st;
  if (::fstat(root.get(), &st) != 0) return errno_error("stat " + dir.string(), errno);
  Walker w;
  w.record("", st, "");
  if (Status s = w.walk(root.get(), ""); !s.ok()) return s.error().wrap("walk " + dir.string());
  w.stats.listing_digest = w.hash.finish();
  return w.stats;
}

}  // namespace bbox::image
