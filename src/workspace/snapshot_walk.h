// SnapshotWalk copies one workspace into an empty snapshot directory:
// a single-threaded walk (directories, symlinks, the list of files), then a
// parallel copy of the files, then directory modes and mtimes, deepest
// first. Nothing in the workspace is followed through a symlink or opened
// unless lstat said it is a regular file or a directory.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bbox/workspace/exclude.h"
#include "bbox/workspace/workspace.h"
#include "workspace/manifest.h"

namespace bbox::workspace {

class SnapshotWalk {
 public:
  // Both fds are directories that outlive the walk.
  SnapshotWalk(const ExclusionPolicy& policy, int ws_fd, int snap_fd);

  // A directory (by device and inode) the walk never enters: bbox's cache.
  void skip_directory(const std::filesystem::path& dir);

  // Walks and copies. Fails only on errors that make the snapshot unusable
  // (disk full, the snapshot not writable); per-file problems are reported
  // and counted in stats().skipped.
  Status run();

  std::map<std::string, ManifestEntry> take_entries() { return std::move(entries_); }
  const SnapshotStats& stats() const { return stats_; }
  bool git_worktree() const { return git_worktree_; }

 private:
  struct FileJob {
    int src_root;  // directory fd the source path is relative to
    std::string src_rel;
    std::string dst_rel;
    struct stat st;
    bool sanitise = false;  // .git/config: rewrite through the allowlist
    bool record = true;     // enters the manifest
  };
  struct DirJob {
    std::string rel;
    struct stat st;
    bool record;
  };

  void walk_dir(int src, int dst, const std::string& src_rel, const std::string& dst_rel,
                int src_root, bool record, int depth);
  void visit(int src, int dst, const std::string& name, const std::string& src_rel,
             const std::string& dst_rel, int src_root, bool record, int depth);
  void visit_dir(int src, int dst, const std::string& name, const struct stat& st,
                 const std::string& src_rel, const std::string& dst_rel, int src_root, bool record,
                 int depth);
  void visit_link(int src, int dst, const std::string& name, const struct stat& st,
                  const std::string& dst_rel, bool record);
  void collect_secret_inodes(int src, const std::string& name, int budget);
  void copy_worktree_git(int dst, const std::string& name);
  void copy_file(const FileJob& job);
  void finish_dirs();
  void skip(const std::string& rel, const std::string& why, bool quietly = false);
  void fail(const Error& e);

  const ExclusionPolicy& policy_;
  int ws_fd_, snap_fd_;
  std::set<std::pair<dev_t, ino_t>> skip_dirs_;
  std::set<std::pair<dev_t, ino_t>> secret_inodes_;
  std::vector<FileJob> files_;
  std::vector<DirJob> dirs_;
  std::vector<int> extra_fds_;  // worktree git dirs opened as copy sources
  std::vector<std::pair<std::string, std::string>> overlays_;  // (src path, dst rel)
  std::mutex mu_;  // guards entries_, stats_, fatal_ during the copy
  std::map<std::string, ManifestEntry> entries_;
  SnapshotStats stats_;
  std::optional<Error> fatal_;
  bool git_worktree_ = false;
  size_t notes_ = 0;
};

}  // namespace bbox::workspace
