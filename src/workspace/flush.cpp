#include "workspace/flush.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "bbox/common/message.h"
#include "workspace/fsutil.h"
#include "workspace/hash.h"

namespace bbox::workspace {
namespace {

std::string errstr(int err) { return std::strerror(err < 0 ? -err : err); }

std::string why_open_failed(int err) {
  if (err == -ELOOP) return "a directory on its path is a symlink";
  if (err == -EXDEV) return "its path leads outside the workspace";
  return errstr(err);
}

// Opens the parent directory of `path` in the workspace, creating missing
// directories (mode 0755) on the way; never through a symlink.
int open_parent_creating(int root, const std::string& path, std::string* leaf) {
  int fd = open_parent_beneath(root, path, leaf);
  if (fd != -ENOENT) return fd;
  size_t slash = path.rfind('/');
  std::string parent = path.substr(0, slash);
  std::string pleaf;
  UniqueFd grand(open_parent_creating(root, parent, &pleaf));
  if (!grand) return grand.get();
  if (::mkdirat(grand.get(), pleaf.c_str(), 0755) != 0 && errno != EEXIST) return -errno;
  return open_parent_beneath(root, path, leaf);
}

struct Flusher {
  const Trees& t;
  Journal& journal;
  const Manifest& manifest;
  FlushReport report;
  int applied_count = 0;
  int kill_after = -1;

  int ws() const { return t.workspace.get(); }
  int snap() const { return t.snapshot.get(); }

  void skip(const std::string& path, const std::string& why) {
    report.skipped.push_back({path, why});
  }

  // Makes the manifest agree with the snapshot's present state of `path`,
  // so the change is not offered again; `host` is the workspace's identity.
  void settle(const std::string& path, std::optional<Identity> host) {
    std::string leaf;
    UniqueFd parent(open_parent_beneath(snap(), path, &leaf));
    struct stat st {};
    if (!parent || ::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      (void)journal.remove(path).ok();
      return;
    }
    ManifestEntry e{path};
    e.type = S_ISDIR(st.st_mode)   ? EntryType::kDir
             : S_ISLNK(st.st_mode) ? EntryType::kSymlink
                                   : EntryType::kFile;
    e.mode = S_ISLNK(st.st_mode) ? 0777 : st.st_mode & 0777u;
    e.copy = Identity::of(st);
    auto old = manifest.entries.find(path);
    e.host = host ? *host : old != manifest.entries.end() ? old->second.host : Identity{};
    if (e.type == EntryType::kSymlink) {
      auto target = read_link_at(parent.get(), leaf.c_str());
      e.target = target ? *target : "";
    }
    (void)journal.update(e).ok();
  }

  void applied(const std::string& path, int parent, const std::string& leaf, bool gone) {
    report.applied.push_back(path);
    if (gone) {
      (void)journal.remove(path).ok();
    } else {
      struct stat st {};
      ::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW);
      settle(path, Identity::of(st));
    }
    // Test hook: a real SIGKILL in the middle of a flush.
    if (kill_after >= 0 && ++applied_count >= kill_after) ::raise(SIGKILL);
  }

  // Is the workspace entry at parent/leaf what the snapshot started from?
  // For a type change the old entry must be gone by now (phase 0 or 1).
  bool unchanged(const Change& c, int parent, const std::string& leaf) {
    struct stat st {};
    bool exists = ::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (c.kind == ChangeKind::kTypeChanged) return !exists;
    return matches_host(c, exists, st);
  }

  bool matches_host(const Change& c, bool exists, const struct stat& st) {
    auto it = manifest.entries.find(c.path);
    if (it == manifest.entries.end() || it->second.host.ino == 0) return !exists;
    return exists && Identity::of(st) == it->second.host;
  }

  void remove_entry(const Change& c, bool dir) {
    std::string leaf;
    UniqueFd parent(open_parent_beneath(ws(), c.path, &leaf));
    if (!parent) return skip(c.path, why_open_failed(parent.get()));
    if (dir) {
      if (::unlinkat(parent.get(), leaf.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
        return applied(c.path, parent.get(), leaf, true);
      }
      if (errno == ENOTEMPTY || errno == EEXIST) {
        skip(c.path, "directory kept: it still holds files the agent could not see");
        ++report.settled_skips;
        return (void)journal.remove(c.path).ok();
      }
      return skip(c.path, errstr(errno));
    }
    struct stat st {};
    bool exists = ::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!matches_host(c, exists, st)) {
      report.conflicts.push_back({c.path, "not deleted: you changed it during the session"});
      return settle(c.path, std::nullopt);
    }
    if (::unlinkat(parent.get(), leaf.c_str(), 0) != 0 && errno != ENOENT) {
      return skip(c.path, errstr(errno));
    }
    applied(c.path, parent.get(), leaf, true);
  }

  void make_dir(const Change& c) {
    std::string leaf;
    UniqueFd parent(open_parent_creating(ws(), c.path, &leaf));
    if (!parent) return skip(c.path, why_open_failed(parent.get()));
    if (::mkdirat(parent.get(), leaf.c_str(), c.after.mode & 0777) != 0 && errno != EEXIST) {
      return skip(c.path, errstr(errno));
    }
    applied(c.path, parent.get(), leaf, false);
  }

  // Writes n bytes at `off`, unless they are all zeros: those stay a hole, so
  // a sparse file the agent made (or a huge run of zeros) does not take real
  // space in the workspace. The caller sets the final length.
  static bool write_or_leave_hole(int fd, const char* data, size_t n, off_t off) {
    if (std::all_of(data, data + n, [](char ch) { return ch == 0; })) return true;
    while (n > 0) {
      ssize_t w = ::pwrite(fd, data, n, off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
      off += w;
    }
    return true;
  }

  // Writes `content` (or the snapshot file) into a new unnamed file in the
  // parent directory and returns it; empty on error (reported).
  UniqueFd write_temp(const Change& c, int parent, const std::optional<std::string>& content) {
    // Safety: O_TMPFILE makes an unnamed inode in the same directory; a
    // crash before it is linked leaves nothing behind in the workspace.
    UniqueFd tmp(::openat(parent, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    if (!tmp) {
      skip(c.path, std::string("cannot create a temporary file: ") + std::strerror(errno));
      return UniqueFd();
    }
    UniqueFd src(open_beneath(snap(), c.path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
    struct stat st {};
    if (!src || ::fstat(src.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      skip(c.path, "the snapshot file is gone or not a regular file");
      return UniqueFd();
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::vector<char> buf(1 << 20);
    off_t off = 0;
    for (;;) {
      ssize_t n = ::pread(src.get(), buf.data(), buf.size(), off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return skip(c.path, "cannot read the snapshot file"), UniqueFd();
      if (n == 0) break;
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
      if (!content && !write_or_leave_hole(tmp.get(), buf.data(), static_cast<size_t>(n), off)) {
        return skip(c.path, std::string("cannot write: ") + std::strerror(errno)), UniqueFd();
      }
      off += n;
    }
    // Blocks of zeros were left as holes; the length comes from here.
    if (!content && ::ftruncate(tmp.get(), off) != 0) {
      return skip(c.path, std::string("cannot write: ") + std::strerror(errno)), UniqueFd();
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    if (hex_encode(std::string_view(reinterpret_cast<char*>(md), len)) != c.after.sha256) {
      return skip(c.path, "the snapshot file changed after review"), UniqueFd();
    }
    if (content && !write_all(tmp.get(), content->data(), content->size())) {
      return skip(c.path, std::string("cannot write: ") + std::strerror(errno)), UniqueFd();
    }
    // Set-id and sticky bits are never flushed.
    if (::fchmod(tmp.get(), c.after.mode & 0777) != 0 || ::fsync(tmp.get()) != 0) {
      return skip(c.path, std::string("cannot write: ") + std::strerror(errno)), UniqueFd();
    }
    return tmp;
  }

  // Gives the unnamed file a name: `leaf` (replacing what is there) or, for a
  // conflict, the first free "<leaf>.bbox-agent[.N]".
  bool place(int parent, int tmp, const std::string& leaf, bool replace, std::string* final) {
    std::string proc = "/proc/self/fd/" + std::to_string(tmp);
    std::string tmpname = "." + leaf.substr(0, 200) + ".bbox-tmp";
    ::unlinkat(parent, tmpname.c_str(), 0);
    if (::linkat(AT_FDCWD, proc.c_str(), parent, tmpname.c_str(), AT_SYMLINK_FOLLOW) != 0)
      return false;
    for (int n = 0; n < 100; ++n) {
      *final = replace ? leaf : leaf + ".bbox-agent" + (n ? "." + std::to_string(n) : "");
      // rename replaces the name only: a hard-linked inode shared with a
      // file outside the workspace is never written into.
      unsigned flags = replace ? 0 : RENAME_NOREPLACE;
      if (::renameat2(parent, tmpname.c_str(), parent, final->c_str(), flags) == 0) return true;
      if (replace || errno != EEXIST) break;
    }
    ::unlinkat(parent, tmpname.c_str(), 0);
    return false;
  }

  void write_file(const Reviewed& r) {
    const Change& c = r.change;
    std::string leaf;
    UniqueFd parent(open_parent_creating(ws(), c.path, &leaf));
    if (!parent) return skip(c.path, why_open_failed(parent.get()));
    bool conflict = !unchanged(c, parent.get(), leaf);
    UniqueFd tmp = write_temp(c, parent.get(), r.content);
    if (!tmp) return;
    std::string final;
    if (!place(parent.get(), tmp.get(), leaf, !conflict, &final)) {
      return skip(c.path, std::string("cannot put in place: ") + std::strerror(errno));
    }
    if (conflict) {
      report.conflicts.push_back(
          {c.path, "the agent's version is in " + ui::quoted(ui_name(c.path, final))});
      return settle(c.path, std::nullopt);
    }
    applied(c.path, parent.get(), leaf, false);
  }

  static std::string ui_name(const std::string& path, const std::string& final) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? final : path.substr(0, slash + 1) + final;
  }

  void write_link(const Change& c) {
    if (!link_target_inside(c.path, c.after.target)) {
      skip(c.path, "a symlink pointing outside the workspace is never created");
      ++report.settled_skips;
      return settle(c.path, std::nullopt);
    }
    std::string leaf;
    UniqueFd parent(open_parent_creating(ws(), c.path, &leaf));
    if (!parent) return skip(c.path, why_open_failed(parent.get()));
    if (!unchanged(c, parent.get(), leaf)) {
      report.conflicts.push_back({c.path, "not replaced: you changed it during the session"});
      return settle(c.path, std::nullopt);
    }
    std::string tmpname = "." + leaf.substr(0, 200) + ".bbox-tmp";
    ::unlinkat(parent.get(), tmpname.c_str(), 0);
    if (::symlinkat(c.after.target.c_str(), parent.get(), tmpname.c_str()) != 0 ||
        ::renameat(parent.get(), tmpname.c_str(), parent.get(), leaf.c_str()) != 0) {
      return skip(c.path, errstr(errno));
    }
    applied(c.path, parent.get(), leaf, false);
  }

  void change_mode(const Change& c) {
    // Safety: opened without following symlinks and checked to be the
    // snapshot-time inode, so the chmod cannot land outside the workspace.
    int flags = c.after.type == EntryType::kDir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK;
    UniqueFd fd(open_beneath(ws(), c.path, flags));
    if (!fd) return skip(c.path, why_open_failed(fd.get()));
    struct stat st {};
    ::fstat(fd.get(), &st);
    auto it = manifest.entries.find(c.path);
    if (c.after.type != EntryType::kDir &&
        (it == manifest.entries.end() || Identity::of(st) != it->second.host)) {
      report.conflicts.push_back({c.path, "mode not changed: you changed the file meanwhile"});
      return settle(c.path, std::nullopt);
    }
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
      return skip(c.path, "mode not changed: the file has other hard links");
    }
    if (::fchmod(fd.get(), c.after.mode & 0777) != 0) return skip(c.path, errstr(errno));
    std::string leaf;
    UniqueFd parent(open_parent_beneath(ws(), c.path, &leaf));
    applied(c.path, parent.get(), leaf, false);
  }
};

int phase_of(const Change& c, bool removing) {
  if (removing) return c.before.type == EntryType::kDir ? 1 : 0;
  if (c.after.type == EntryType::kDir) return c.before.type == EntryType::kDir ? 4 : 2;
  return 3;
}

}  // namespace

FlushReport flush_changes(const Trees& trees, Journal& journal, const Manifest& manifest,
                          const std::vector<Reviewed>& items) {
  Flusher f{trees, journal, manifest};
  if (const char* k = std::getenv("BBOX_TEST_FLUSH_KILL_AFTER")) f.kill_after = std::atoi(k);
  // Phases: 0 remove files/links, 1 remove directories (deepest first),
  // 2 create directories, 3 write files and links, 4 directory modes.
  std::vector<std::pair<int, const Reviewed*>> steps;
  for (const Reviewed& r : items) {
    const Change& c = r.change;
    if (r.decision == Decision::kReject) {
      ++f.report.rejected;
      f.settle(c.path, std::nullopt);
      continue;
    }
    if (r.decision != Decision::kAccept) continue;
    if (c.after.type == EntryType::kSymlink && !link_target_inside(c.path, c.after.target)) {
      // Checked before anything is removed: a file replaced by an outward
      // link must not be deleted for a link that will never be made.
      f.skip(c.path, "a symlink pointing outside the workspace is never created");
      ++f.report.settled_skips;
      f.settle(c.path, std::nullopt);
      continue;
    }
    bool removes = c.kind == ChangeKind::kDeleted || c.kind == ChangeKind::kTypeChanged;
    if (removes) steps.push_back({phase_of(c, true), &r});
    if (c.kind != ChangeKind::kDeleted) steps.push_back({phase_of(c, false), &r});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    if (a.first == 1) return a.second->change.path > b.second->change.path;  // deepest first
    return false;
  });
  for (const auto& [phase, r] : steps) {
    const Change& c = r->change;
    size_t before = f.report.skipped.size();
    if (phase == 0)
      f.remove_entry(c, false);
    else if (phase == 1)
      f.remove_entry(c, true);
    else if (phase == 2)
      f.make_dir(c);
    else if (phase == 4)
      f.change_mode(c);
    else if (c.after.type == EntryType::kSymlink)
      f.write_link(c);
    else if (!c.content_changed && c.kind == ChangeKind::kModified)
      f.change_mode(c);
    else
      f.write_file(*r);
    (void)before;
  }
  (void)journal.sync().ok();
  return f.report;
}

}  // namespace bbox::workspace
