// take_snapshot(): walk the workspace without following symlinks, leave out
// what the exclusion policy names, then copy the files in parallel.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/workspace/exclude.h"
#include "bbox/workspace/workspace.h"
#include "workspace/copy.h"
#include "workspace/fsutil.h"
#include "workspace/gitconfig.h"
#include "workspace/manifest.h"
#include "workspace/session_meta.h"
#include "workspace/snapshot_walk.h"

namespace bbox::workspace {
namespace fs = std::filesystem;
namespace {

Status check_workspace(const fs::path& ws) {
  if (ws == "/") return Error{"use workspace '/': refusing to snapshot the whole file system"};
  std::error_code ec;
  if (ws == fs::weakly_canonical(paths::home_dir(), ec)) {
    return Error{"use workspace '" + ws.string() +
                 "': refusing to snapshot the home directory; run bbox in a project folder"};
  }
  return ok_status();
}

}  // namespace

Result<SnapshotStats> take_snapshot(const SessionDir& session, const SnapshotOptions& opts) {
  std::error_code ec;
  fs::path ws = fs::canonical(opts.workspace, ec);
  if (ec) return Error{"open workspace '" + opts.workspace.string() + "': " + ec.message()};
  if (auto st = check_workspace(ws); !st) return st.error();
  auto meta = read_meta(session.dir);
  if (!meta) return meta.error();

  auto policy = ExclusionPolicy::for_workspace(ws, opts.exclude_patterns);
  if (!policy) return policy.error();

  UniqueFd ws_fd(::open(ws.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!ws_fd) return errno_error("open workspace '" + ws.string() + "'", errno);
  if (::mkdir(session.snapshot.c_str(), 0700) != 0) {
    return errno_error("create snapshot '" + session.snapshot.string() + "'", errno);
  }
  UniqueFd snap_fd(
      ::open(session.snapshot.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!snap_fd) return errno_error("open snapshot", errno);

  SnapshotWalk walk(*policy, ws_fd.get(), snap_fd.get());
  walk.skip_directory(paths::cache_dir());
  if (auto st = walk.run(); !st) return st.error();

  Manifest manifest;
  manifest.entries = walk.take_entries();
  if (auto st = manifest.save(session.dir); !st) return st.error();
  meta->state = "ready";
  meta->git_worktree = walk.git_worktree();
  meta->ignore_text = policy->user_text();
  meta->excludes = opts.exclude_patterns;
  if (auto st = write_meta(session.dir, *meta); !st) return st.error();
  return walk.stats();
}

}  // namespace bbox::workspace
