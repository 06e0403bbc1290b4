// The small record each session directory keeps about itself ("meta").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::workspace {

struct SessionMeta {
  std::filesystem::path workspace;
  std::string state = "snapshotting";  // "snapshotting" -> "ready" -> "flushing"
  int64_t created = 0;
  bool git_worktree = false;          // the workspace's .git is a file: .git is not flushed
  std::string ignore_text;            // .broodboxignore as read at snapshot time
  std::vector<std::string> excludes;  // --exclude and review.exclude_patterns
};

Result<SessionMeta> read_meta(const std::filesystem::path& session_dir);
Status write_meta(const std::filesystem::path& session_dir, const SessionMeta& meta);

}  // namespace bbox::workspace
