// compute_changes(): the snapshot now against the manifest, without ever
// following a symlink in the snapshot (the agent wrote it).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "bbox/workspace/exclude.h"
#include "workspace/changes.h"
#include "workspace/fsutil.h"
#include "workspace/hash.h"

namespace bbox::workspace {
namespace {

struct Seen {
  EntryType type = EntryType::kNone;
  struct stat st {};
  std::string target;
};

EntryType type_of(mode_t m) {
  if (S_ISREG(m)) return EntryType::kFile;
  if (S_ISDIR(m)) return EntryType::kDir;
  if (S_ISLNK(m)) return EntryType::kSymlink;
  return EntryType::kNone;
}

struct SnapshotScan {
  const Manifest& manifest;
  const ExclusionPolicy& policy;
  bool skip_git;
  std::map<std::string, Seen> seen;
  size_t excluded = 0;
  std::vector<std::string> special;  // FIFOs, sockets, devices the agent made

  void walk(int dirfd, const std::string& rel, int depth) {
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
    if (d == nullptr) {
      if (dup >= 0) ::close(dup);
      return;
    }
    std::vector<std::string> names;
    // A dup shares the offset of an fd read before: start over.
    ::rewinddir(d);
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(d);
    for (const auto& name : names) visit(dirfd, name, join_rel(rel, name), depth);
  }

  void visit(int dirfd, const std::string& name, const std::string& path, int depth) {
    if (skip_git && path == ".git") return;
    Seen s;
    if (::fstatat(dirfd, name.c_str(), &s.st, AT_SYMLINK_NOFOLLOW) != 0) return;
    s.type = type_of(s.st.st_mode);
    bool known = manifest.entries.count(path) > 0;
    bool is_dir = s.type == EntryType::kDir;
    // Special files the agent made, and new entries the exclusion rules
    // name (a fresh .env, node_modules/), are never offered back.
    if (s.type == EntryType::kNone) {
      special.push_back(path);
      return;
    }
    if (!known && policy.classify_entry(path, is_dir) != ExcludeReason::kNone) {
      ++excluded;
      return;
    }
    if (s.type == EntryType::kSymlink) {
      auto t = read_link_at(dirfd, name.c_str());
      s.target = t ? *t : "";
    }
    seen[path] = s;
    if (is_dir && depth < 256) {
      UniqueFd child(
          ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) walk(child.get(), path, depth + 1);
    }
  }
};

// lstat of a workspace path without following symlinks in any component.
// nullopt: absent; a stat with st_mode 0: unreachable (a symlinked parent).
std::optional<struct stat> lstat_beneath(int root, const std::string& path) {
  std::string leaf;
  UniqueFd parent(open_parent_beneath(root, path, &leaf));
  struct stat st {};
  if (!parent) {
    if (parent.get() == -ENOENT) return std::nullopt;
    return st;
  }
  if (::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    st.st_mode = 0;
  }
  return st;
}

std::string hash_beneath(int root, const std::string& path) {
  // Safety: O_NONBLOCK|no symlinks; only regular files are hashed.
  UniqueFd fd(open_beneath(root, path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  auto h = sha256_fd(fd.get());
  return h ? *h : "";
}

Side side_of(const ManifestEntry& e) { return Side{e.type, e.mode, e.host.size, "", e.target}; }

Side side_of(const Seen& s) {
  return Side{s.type, s.st.st_mode & 0777u, static_cast<uint64_t>(s.st.st_size), "", s.target};
}

IgnoreRules load_gitignores(int ws_fd, const Manifest& m) {
  IgnoreRules rules;
  auto add = [&](const std::string& path, const std::string& base) {
    UniqueFd fd(open_beneath(ws_fd, path, O_RDONLY | O_NONBLOCK));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
      return;
    }
    std::string text(static_cast<size_t>(st.st_size), '\0');
    ssize_t n = ::pread(fd.get(), text.data(), text.size(), 0);
    if (n > 0) rules.add_buffer(std::string_view(text).substr(0, static_cast<size_t>(n)), base);
  };
  add(".git/info/exclude", "");
  for (const auto& [path, e] : m.entries) {
    if (e.type != EntryType::kFile) continue;
    if (path == ".gitignore")
      add(path, "");
    else if (path.ends_with("/.gitignore"))
      add(path, path.substr(0, path.size() - 10));
  }
  return rules;
}

struct HashJob {
  std::string path;
  const ManifestEntry* entry;  // null for an added file
  const Seen* seen;
  std::optional<struct stat> ws;
  std::string snap_sha, ws_sha;
};

}  // namespace

Result<Trees> open_trees(const SessionDir& session, const SessionMeta& meta) {
  Trees t;
  t.workspace.reset(::open(meta.workspace.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!t.workspace) return errno_error("open workspace '" + meta.workspace.string() + "'", errno);
  t.snapshot.reset(
      ::open(session.snapshot.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!t.snapshot) return errno_error("open snapshot", errno);
  return t;
}

Result<ChangeSet> compute_changes(const Trees& trees, const Manifest& manifest,
                                  const SessionMeta& meta, bool include_ignored) {
  ExclusionPolicy policy;
  policy.add_user_buffer(meta.ignore_text);
  for (const auto& line : meta.excludes) policy.add_user_line(line);
  SnapshotScan scan{manifest, policy, meta.git_worktree};
  scan.walk(trees.snapshot.get(), "", 0);

  ChangeSet set;
  set.excluded_hidden = scan.excluded;
  set.special_left_out = std::move(scan.special);
  std::vector<HashJob> jobs;
  int ws = trees.workspace.get();
  for (const auto& [path, e] : manifest.entries) {
    auto it = scan.seen.find(path);
    if (it == scan.seen.end() || it->second.type != e.type) {
      Change c{path, it == scan.seen.end() ? ChangeKind::kDeleted : ChangeKind::kTypeChanged};
      c.before = side_of(e);
      if (it != scan.seen.end()) c.after = side_of(it->second);
      auto cur = lstat_beneath(ws, path);
      c.content_changed = true;
      if (e.type != EntryType::kDir) c.conflict = !cur || Identity::of(*cur) != e.host;
      if (it == scan.seen.end() && !cur) continue;  // gone on both sides: nothing to do
      if (e.type == EntryType::kFile && !c.conflict) c.before.sha256 = hash_beneath(ws, path);
      if (c.after.type == EntryType::kFile) {
        c.after.sha256 = hash_beneath(trees.snapshot.get(), path);
      }
      set.changes.push_back(std::move(c));
      continue;
    }
    const Seen& s = it->second;
    if (e.type == EntryType::kFile) {
      if (Identity::of(s.st) == e.copy) continue;  // provably untouched
      jobs.push_back({path, &e, &s, lstat_beneath(ws, path)});
    } else if (e.type == EntryType::kSymlink && s.target != e.target) {
      Change c{path, ChangeKind::kModified, side_of(e), side_of(s), true};
      auto cur = lstat_beneath(ws, path);
      c.conflict = !cur || Identity::of(*cur) != e.host;
      set.changes.push_back(std::move(c));
    } else if (e.type == EntryType::kDir && (s.st.st_mode & 0777u) != e.mode) {
      Change c{path, ChangeKind::kModified, side_of(e), side_of(s), false, true};
      set.changes.push_back(std::move(c));
    }
  }
  for (const auto& [path, s] : scan.seen) {
    if (manifest.entries.count(path)) continue;
    auto cur = lstat_beneath(ws, path);
    if (s.type == EntryType::kFile) {
      jobs.push_back({path, nullptr, &s, cur});
      continue;
    }
    Change c{path, ChangeKind::kAdded, Side{}, side_of(s), true};
    if (cur) {
      // Already there: the same directory or link means nothing to do.
      if (s.type == EntryType::kDir && S_ISDIR(cur->st_mode)) continue;
      c.conflict = true;
    }
    set.changes.push_back(std::move(c));
  }

  parallel_for(jobs.size(), [&](size_t i) {
    HashJob& j = jobs[i];
    j.snap_sha = hash_beneath(trees.snapshot.get(), j.path);
    if (j.ws && S_ISREG(j.ws->st_mode)) j.ws_sha = hash_beneath(ws, j.path);
  });
  for (HashJob& j : jobs) {
    Change c{j.path, j.entry ? ChangeKind::kModified : ChangeKind::kAdded};
    c.after = side_of(*j.seen);
    c.after.sha256 = j.snap_sha;
    bool ws_same = j.entry && j.ws && Identity::of(*j.ws) == j.entry->host;
    if (j.entry) c.before = side_of(*j.entry);
    c.before.sha256 = j.ws_sha;
    c.content_changed = j.ws_sha.empty() || j.ws_sha != j.snap_sha;
    c.mode_changed = j.entry && c.after.mode != j.entry->mode;
    if (!c.content_changed && !c.mode_changed) continue;
    c.conflict = c.content_changed && (j.entry ? !ws_same : j.ws.has_value());
    set.changes.push_back(std::move(c));
  }

  IgnoreRules gitignore = load_gitignores(ws, manifest);
  std::erase_if(set.changes, [&](const Change& c) {
    if (include_ignored || c.path == ".git" || c.path.rfind(".git/", 0) == 0) return false;
    bool is_dir = c.after.type == EntryType::kDir ||
                  (c.after.type == EntryType::kNone && c.before.type == EntryType::kDir);
    if (!gitignore.excluded(c.path, is_dir)) return false;
    ++set.ignored_hidden;
    return true;
  });
  std::sort(set.changes.begin(), set.changes.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return set;
}

}  // namespace bbox::workspace
