// Flush: writes accepted changes into the workspace. Every write goes
// through a temporary file in the same directory and a rename; no path
// component is followed through a symlink; the content is re-hashed and must
// be what was reviewed; a workspace file changed since the snapshot is never
// overwritten (the agent's version lands beside it). Each settled change is
// journaled, so an interrupted flush resumes without redoing or losing work.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "workspace/changes.h"
#include "workspace/manifest.h"
#include "workspace/review.h"

namespace bbox::workspace {

struct FlushReport {
  std::vector<std::string> applied;
  std::vector<std::pair<std::string, std::string>> skipped;    // path, why
  std::vector<std::pair<std::string, std::string>> conflicts;  // path, where the agent's copy is
  size_t rejected = 0;
  size_t settled_skips = 0;  // skipped for good (not offered again)
};

// Applies kAccept items, settles kReject items (they are not offered
// again), leaves kPending alone.
FlushReport flush_changes(const Trees& trees, Journal& journal, const Manifest& manifest,
                          const std::vector<Reviewed>& items);

}  // namespace bbox::workspace
