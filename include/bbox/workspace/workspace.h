// The workspace engine: a session's snapshot of the user's workspace, the
// diff of what the agent changed, review, and the flush of accepted changes
// back into the workspace.
//
// Start with this header. The flow a session drives:
//   create_session(workspace)      -> paths::sessions_dir()/<id>, mode 0700
//   take_snapshot(session, opts)   -> <id>/snapshot, mounted at /workspace
//   ... the VM runs and is stopped ...
//   finish_session(session, opts)  -> diff, review, flush, remove <id>
// A session directory is removed only after its flush finished; until then
// `bbox sessions` lists it and `bbox review ID` (open_session +
// finish_session) resumes it, also after a crash in the middle of a flush.
//
// Trust: the snapshot is written by the agent and is hostile input. Nothing
// here follows a symlink inside it, and the flush never writes through a
// symlink in the workspace either.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::workspace {

struct SessionDir {
  std::string id;
  std::filesystem::path dir;       // paths::sessions_dir()/<id>
  std::filesystem::path snapshot;  // dir/"snapshot": the VM's /workspace
  // An exclusive flock on dir/lock, held while any copy of this SessionDir
  // lives: `bbox review` cannot touch a session that is still running or
  // being reviewed elsewhere. Reset it to let another process in.
  std::shared_ptr<UniqueFd> lock;
};

// Creates paths::sessions_dir()/<id> (mode 0700, owned by the caller) and
// records the workspace path and state there. Refuses "/", $HOME, and a
// workspace inside bbox's cache.
Result<SessionDir> create_session(const std::filesystem::path& workspace);

struct SnapshotOptions {
  std::filesystem::path workspace;
  // --exclude and review.exclude_patterns; .broodboxignore is read here.
  std::vector<std::string> exclude_patterns;
};

struct SnapshotStats {
  uint64_t files = 0, dirs = 0, symlinks = 0, bytes = 0, skipped = 0;
  uint64_t cloned = 0;  // files copied by FICLONE (shared extents)
};

// Copies the workspace into session.snapshot (reflink where the file system
// can, else copy_file_range, holes kept), leaving out secrets and excluded
// files, skipping special files, symlinks that lead outside, and the session
// cache; rewrites .git/config through an allowlist. Records the manifest
// (per-entry identity of the host file and of its copy) in the session dir.
Result<SnapshotStats> take_snapshot(const SessionDir& session, const SnapshotOptions& opts);

struct FinishOptions {
  bool interactive_review = false;  // --review
  bool yes = false;                 // --yes: accept even what the default policy holds back
  std::optional<std::filesystem::path> output_patch;  // write a patch, touch nothing
  bool include_ignored = false;                       // offer gitignored files too
};

// Diff, review, flush, then removal of the session dir once the flush
// finished; prints the summary. Returns 0 when done, or
// exit_code::kPendingReview when changes are left for `bbox review` (the
// user quit review, or the default policy held some back).
Result<int> finish_session(const SessionDir& session, const FinishOptions& opts);

// Opens an existing session for `bbox review SESSION`. Checks that the
// directory belongs to the caller and is not a symlink, and takes its lock
// (an error when another bbox holds it).
Result<SessionDir> open_session(const std::string& id);

struct SessionInfo {
  std::string id;
  std::filesystem::path workspace;
  std::string state;    // "snapshotting", "ready", "flushing"
  int64_t created = 0;  // unix seconds
  size_t pending_changes = 0;
  bool in_use = false;  // another bbox holds the session (running or in review)
};

// Every session directory of the caller, oldest first, with the number of
// changes not yet applied.
Result<std::vector<SessionInfo>> list_sessions();

// Discards a session: removes its directory without applying anything.
Status remove_session(const std::string& id);
// Removes the directory of a session the caller holds.
Status remove_session_dir(const SessionDir& session);

}  // namespace bbox::workspace
