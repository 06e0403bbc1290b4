// The change set: what the agent changed in the snapshot, compared with the
// manifest taken when the snapshot was made. This is the narrow interface
// review and flush consume; a future copy-on-write file server can produce
// the same ChangeSet without a copy.
#pragma once

#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/workspace/workspace.h"
#include "workspace/manifest.h"
#include "workspace/session_meta.h"

namespace bbox::workspace {

enum class ChangeKind { kAdded, kModified, kDeleted, kTypeChanged };

struct Side {
  EntryType type = EntryType::kNone;
  uint32_t mode = 0;
  uint64_t size = 0;
  std::string sha256;  // regular files
  std::string target;  // symlinks
};

struct Change {
  std::string path;
  ChangeKind kind = ChangeKind::kModified;
  Side before;  // the workspace entry (as the manifest recorded it)
  Side after;   // the snapshot entry now
  bool content_changed = false;
  bool mode_changed = false;
  // The workspace entry changed since the snapshot (or exists where the
  // agent added one): never overwritten, the agent's version is kept beside.
  bool conflict = false;
};

struct ChangeSet {
  std::vector<Change> changes;  // sorted by path
  size_t ignored_hidden = 0;    // gitignored changes left out
  size_t excluded_hidden = 0;   // changes to excluded or secret paths left out
  // FIFOs, sockets and device nodes in the snapshot: never applied.
  std::vector<std::string> special_left_out;
};

// Open descriptors of a session's two trees.
struct Trees {
  UniqueFd workspace;
  UniqueFd snapshot;
};
Result<Trees> open_trees(const SessionDir& session, const SessionMeta& meta);

// Computes the changes. Hashes in parallel; skips hashing entries whose
// snapshot copy still has the inode, ctime and size the manifest recorded.
Result<ChangeSet> compute_changes(const Trees& trees, const Manifest& manifest,
                                  const SessionMeta& meta, bool include_ignored);

}  // namespace bbox::workspace
