#include "workspace/snapshot_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bbox/common/message.h"
#include "workspace/copy.h"
#include "workspace/fsutil.h"
#include "workspace/gitconfig.h"

namespace bbox::workspace {
namespace {

constexpr int kMaxDepth = 256;
constexpr size_t kMaxNotes = 20;
constexpr off_t kMaxGitConfig = 1 << 20;

const char* special_kind(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

// .git/config, .git/config.worktree and submodule configs are rewritten.
bool is_git_config(const std::string& rel) {
  if (rel.rfind(".git/", 0) != 0) return false;
  if (rel == ".git/config" || rel == ".git/config.worktree") return true;
  bool in_modules = rel.rfind(".git/modules/", 0) == 0;
  return in_modules &&
         (rel.size() > 7 && (rel.ends_with("/config") || rel.ends_with("/config.worktree")));
}

std::vector<std::string> list_dir(int fd, int* err) {
  std::vector<std::string> names;
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
  if (d == nullptr) {
    *err = errno;
    if (dup >= 0) ::close(dup);
    return names;
  }
  // A dup shares the offset of an fd read before: start over.
  ::rewinddir(d);
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  *err = 0;
  return names;
}

Result<std::string> read_small(int fd, off_t limit) {
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (static_cast<off_t>(text.size()) > limit) return Error{"read: file too large"};
  }
  return text;
}

}  // namespace

SnapshotWalk::SnapshotWalk(const ExclusionPolicy& policy, int ws_fd, int snap_fd)
    : policy_(policy), ws_fd_(ws_fd), snap_fd_(snap_fd) {}

void SnapshotWalk::skip_directory(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) skip_dirs_.insert({st.st_dev, st.st_ino});
}

void SnapshotWalk::skip(const std::string& rel, const std::string& why, bool quietly) {
  std::lock_guard lock(mu_);
  ++stats_.skipped;
  if (quietly) return;
  if (notes_ < kMaxNotes) ui::note("skip {}: {}", ui::quoted(rel), why);
  if (notes_ == kMaxNotes) ui::note("more files skipped; the summary counts them");
  ++notes_;
}

void SnapshotWalk::fail(const Error& e) {
  std::lock_guard lock(mu_);
  if (!fatal_) fatal_ = e;
}

Status SnapshotWalk::run() {
  struct stat root {};
  if (::fstat(ws_fd_, &root) != 0) return errno_error("inspect workspace", errno);
  dirs_.push_back({"", root, true});
  walk_dir(ws_fd_, snap_fd_, "", "", ws_fd_, true, 0);

  // A second hard link to a secret seen anywhere in the workspace stays out.
  std::erase_if(files_, [this](const FileJob& f) {
    if (f.st.st_nlink < 2 || !secret_inodes_.count({f.st.st_dev, f.st.st_ino})) return false;
    skip(f.dst_rel, "it is a hard link to a secret");
    return true;
  });
  parallel_for(files_.size(), [this](size_t i) { copy_file(files_[i]); });
  for (const auto& [src, dst] : overlays_) {
    FileJob job{extra_fds_.empty() ? -1 : extra_fds_.back(), src, dst, {}, false, false};
    UniqueFd probe(open_beneath(job.src_root, src, O_RDONLY | O_NONBLOCK));
    if (!probe || ::fstat(probe.get(), &job.st) != 0 || !S_ISREG(job.st.st_mode)) continue;
    ::unlinkat(snap_fd_, dst.c_str(), 0);
    copy_file(job);
  }
  for (int fd : extra_fds_) ::close(fd);
  if (fatal_) return *fatal_;
  finish_dirs();
  return ok_status();
}

void SnapshotWalk::walk_dir(int src, int dst, const std::string& src_rel,
                            const std::string& dst_rel, int src_root, bool record, int depth) {
  int err = 0;
  auto names = list_dir(src, &err);
  if (err != 0) {
    skip(dst_rel.empty() ? "." : dst_rel, std::string("cannot list: ") + std::strerror(err));
    return;
  }
  for (const auto& name : names) {
    if (fatal_) return;
    visit(src, dst, name, join_rel(src_rel, name), join_rel(dst_rel, name), src_root, record,
          depth);
  }
}

void SnapshotWalk::visit(int src, int dst, const std::string& name, const std::string& src_rel,
                         const std::string& dst_rel, int src_root, bool record, int depth) {
  struct stat st {};
  if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    skip(dst_rel, std::string("cannot inspect: ") + std::strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    visit_dir(src, dst, name, st, src_rel, dst_rel, src_root, record, depth);
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    visit_link(src, dst, name, st, dst_rel, record);
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    // Never opened: opening a FIFO blocks, a device has side effects.
    skip(dst_rel, std::string(special_kind(st.st_mode)) + " is never copied");
    return;
  }
  if (record && dst_rel == ".git") {
    copy_worktree_git(dst, name);
    return;
  }
  ExcludeReason why = record ? policy_.classify_entry(dst_rel, false) : ExcludeReason::kNone;
  if (why == ExcludeReason::kSecret) secret_inodes_.insert({st.st_dev, st.st_ino});
  if (why != ExcludeReason::kNone) {
    skip(dst_rel, "", true);
    return;
  }
  files_.push_back(FileJob{src_root, src_rel, dst_rel, st, is_git_config(dst_rel), record});
}

void SnapshotWalk::visit_dir(int src, int dst, const std::string& name, const struct stat& st,
                             const std::string& src_rel, const std::string& dst_rel, int src_root,
                             bool record, int depth) {
  if (skip_dirs_.count({st.st_dev, st.st_ino})) {
    skip(dst_rel, "it holds bbox's own cache");
    return;
  }
  ExcludeReason why = record ? policy_.classify_entry(dst_rel, true) : ExcludeReason::kNone;
  if (why == ExcludeReason::kSecret) collect_secret_inodes(src, name, 10000);
  if (why != ExcludeReason::kNone) {
    skip(dst_rel, "", true);
    return;
  }
  if (depth >= kMaxDepth) {
    skip(dst_rel, "nested too deep");
    return;
  }
  // Safety: O_NOFOLLOW|O_DIRECTORY: the entry lstat called a directory must
  // still be one; a symlink swapped in meanwhile fails instead of leading out.
  UniqueFd child(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child) {
    skip(dst_rel, std::string("cannot open directory: ") + std::strerror(errno));
    return;
  }
  if (::mkdirat(dst, name.c_str(), 0700) != 0 && errno != EEXIST) {
    fail(errno_error("create '" + dst_rel + "' in the snapshot", errno));
    return;
  }
  UniqueFd out(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!out) {
    fail(errno_error("open '" + dst_rel + "' in the snapshot", errno));
    return;
  }
  dirs_.push_back({dst_rel, st, record});
  walk_dir(child.get(), out.get(), src_rel, dst_rel, src_root, record, depth + 1);
}

void SnapshotWalk::visit_link(int src, int dst, const std::string& name, const struct stat& st,
                              const std::string& dst_rel, bool record) {
  if (record && policy_.classify_entry(dst_rel, false) != ExcludeReason::kNone) {
    skip(dst_rel, "", true);
    return;
  }
  auto target = read_link_at(src, name.c_str());
  if (!target) {
    skip(dst_rel, target.error().message);
    return;
  }
  if (!link_target_inside(dst_rel, *target)) {
    skip(dst_rel, "a symlink to " + ui::quoted(*target) + ", outside the workspace");
    return;
  }
  if (::symlinkat(target->c_str(), dst, name.c_str()) != 0) {
    fail(errno_error("create link '" + dst_rel + "' in the snapshot", errno));
    return;
  }
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  struct stat copy {};
  ::fstatat(dst, name.c_str(), &copy, AT_SYMLINK_NOFOLLOW);
  std::lock_guard lock(mu_);
  ++stats_.symlinks;
  if (record) {
    entries_[dst_rel] = ManifestEntry{dst_rel,          EntryType::kSymlink, 0777,
                                      Identity::of(st), Identity::of(copy),  *target};
  }
}

void SnapshotWalk::collect_secret_inodes(int src, const std::string& name, int budget) {
  UniqueFd dir(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return;
  int err = 0;
  for (const auto& child : list_dir(dir.get(), &err)) {
    if (--budget <= 0) return;
    struct stat st {};
    if (::fstatat(dir.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) secret_inodes_.insert({st.st_dev, st.st_ino});
    if (S_ISDIR(st.st_mode)) collect_secret_inodes(dir.get(), child, budget / 2);
  }
}

void SnapshotWalk::copy_file(const FileJob& job) {
  // Safety: O_NONBLOCK so that a file swapped for a FIFO after lstat cannot
  // block; open_beneath refuses symlinks in every component; fstat then
  // checks it is the very regular file the walk saw.
  UniqueFd src(open_beneath(job.src_root, job.src_rel, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!src) {
    skip(job.dst_rel, std::string("cannot read: ") + std::strerror(errno));
    return;
  }
  if (::fstat(src.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != job.st.st_ino ||
      st.st_dev != job.st.st_dev) {
    skip(job.dst_rel, "it changed while the snapshot was taken");
    return;
  }
  UniqueFd dst(open_beneath(snap_fd_, job.dst_rel, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (!dst) {
    fail(errno_error("create '" + job.dst_rel + "' in the snapshot", errno));
    return;
  }
  CopyMethod method = CopyMethod::kRange;
  if (job.sanitise) {
    auto text = read_small(src.get(), kMaxGitConfig);
    std::string clean = text ? sanitise_git_config(*text) : std::string();
    if (!write_all(dst.get(), clean.data(), clean.size())) {
      fail(errno_error("write '" + job.dst_rel + "' in the snapshot", errno));
      return;
    }
  } else {
    auto copied = copy_contents(src.get(), dst.get(), st.st_size);
    if (!copied) {
      fail(copied.error().wrap("copy '" + job.dst_rel + "' into the snapshot"));
      return;
    }
    method = *copied;
  }
  // Set-id bits never travel into the snapshot.
  ::fchmod(dst.get(), st.st_mode & 0777);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::futimens(dst.get(), times);
  struct stat copy {};
  ::fstat(dst.get(), &copy);
  std::lock_guard lock(mu_);
  ++stats_.files;
  stats_.bytes += static_cast<uint64_t>(st.st_size);
  if (method == CopyMethod::kClone) ++stats_.cloned;
  if (job.record) {
    entries_[job.dst_rel] =
        ManifestEntry{job.dst_rel,      EntryType::kFile,   copy.st_mode & 0777u,
                      Identity::of(st), Identity::of(copy), ""};
  }
}

void SnapshotWalk::finish_dirs() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    UniqueFd fd(open_beneath(snap_fd_, it->rel, O_RDONLY | O_DIRECTORY));
    if (!fd) continue;
    ::fchmod(fd.get(), it->st.st_mode & 0777);
    struct timespec times[2] = {it->st.st_atim, it->st.st_mtim};
    ::futimens(fd.get(), times);
    struct stat copy {};
    ::fstat(fd.get(), &copy);
    if (!it->rel.empty()) ++stats_.dirs;
    if (it->record && !it->rel.empty()) {
      entries_[it->rel] = ManifestEntry{
          it->rel, EntryType::kDir, copy.st_mode & 0777u, Identity::of(it->st), Identity::of(copy),
          ""};
    }
  }
}

// A git worktree's .git is a file naming its git dir outside the workspace.
// The VM gets a standalone .git: the common dir (objects, refs, sanitised
// config), with the worktree's own HEAD and index laid over it. Its changes
// are not flushed back (see SessionMeta::git_worktree).
void SnapshotWalk::copy_worktree_git(int dst, const std::string& name) {
  UniqueFd f(::openat(ws_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  auto text = f ? read_small(f.get(), 4096) : Result<std::string>(Error{"open"});
  std::string gitdir = text && text->rfind("gitdir: ", 0) == 0 ? text->substr(8) : "";
  while (!gitdir.empty() && (gitdir.back() == '\n' || gitdir.back() == '\r')) gitdir.pop_back();
  if (gitdir.empty()) {
    skip(".git", "a .git file that does not name a git directory");
    return;
  }
  UniqueFd gd(::openat(ws_fd_, gitdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!gd) {
    skip(".git", "cannot open its git directory " + ui::quoted(gitdir));
    return;
  }
  std::string common = ".";
  UniqueFd cf(::openat(gd.get(), "commondir", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (auto c = cf ? read_small(cf.get(), 4096) : Result<std::string>(Error{""}); c) {
    common = *c;
    while (!common.empty() && (common.back() == '\n' || common.back() == '\r')) common.pop_back();
  }
  int common_fd = ::openat(gd.get(), common.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (common_fd < 0) {
    skip(".git", "cannot open the repository's common git directory");
    return;
  }
  extra_fds_.push_back(common_fd);
  git_worktree_ = true;
  if (::mkdirat(dst, ".git", 0700) != 0) return fail(errno_error("create '.git'", errno));
  UniqueFd out(::openat(dst, ".git", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  int err = 0;
  for (const auto& child : list_dir(common_fd, &err)) {
    if (child == "worktrees") continue;
    visit(common_fd, out.get(), child, child, ".git/" + child, common_fd, false, 1);
  }
  for (auto& job : files_) {
    if (job.src_root == common_fd && job.dst_rel == ".git/config") job.sanitise = true;
  }
  // The worktree's own state replaces the main checkout's.
  int wt_fd = ::fcntl(gd.get(), F_DUPFD_CLOEXEC, 0);
  extra_fds_.push_back(wt_fd);
  for (const char* own : {"HEAD", "index", "ORIG_HEAD", "logs/HEAD"}) {
    overlays_.push_back({own, std::string(".git/") + own});
  }
}

}  // namespace bbox::workspace
