// Walking a root file system tree without following symlinks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bbox/common/result.h"

namespace bbox::image {

struct TreeStats {
  uint64_t data_bytes = 0;  // file, directory and symlink blocks, rounded to 4 KiB
  uint64_t entries = 0;     // every inode, the root included
  // "sha256:<hex>" over each entry's path, type, mode, owner, size, mtime and
  // symlink target, in sorted order: equal listings give equal digests.
  std::string listing_digest;
};

// Walks dir (lstat only, symlinks never followed, no other file system is
// special-cased) and returns its stats.
Result<TreeStats> walk_tree(const std::filesystem::path& dir);

}  // namespace bbox::image
