// Reading files under a trusted folder (the host home, the credential store)
// without following a symlink at any component, and without reading more
// than a limit: the primitives both settings import and credential restore
// are built on.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::guesthome::detail {

enum class Found { kFile, kDirectory, kMissing, kSymlink, kOther, kError };

struct OpenedPath {
  Found found = Found::kError;
  UniqueFd fd;  // for kFile (read-only) and kDirectory
  struct stat st {};
  std::string error;  // for kError: "open PATH: cause"
};

// Opens `relative` (plain components, no "." or "..") beneath the folder
// `base_fd`. A symlink at any component is kSymlink; a missing component is
// kMissing; a FIFO, socket or device is kOther and is not opened.
OpenedPath open_beneath(int base_fd, const std::string& relative);

// Reads a regular file of at most `max` bytes; a larger one (by fstat, or
// growing while read) is an Error and is never read whole.
Result<std::string> read_bounded(int fd, uint64_t max);

// One entry of a directory walk. `relative` is below the walked folder.
struct WalkEntry {
  std::string relative;
  Found found = Found::kError;  // kFile, kDirectory, kSymlink or kOther
  int fd = -1;                  // open for kFile, valid during the callback
  struct stat st {};
  int depth = 0;  // 0 for the walked folder's own entries
};

enum class Visit { kContinue, kSkip, kStop };  // kSkip: do not enter this folder

// Calls `visit` for each entry below `dir_fd`, depth first in name order; a
// folder is entered after its own call unless that returned kSkip. Symlinks
// are reported, never followed. kStop ends the walk. An Error when a folder
// cannot be read.
Status walk_tree(int dir_fd, const std::function<Visit(const WalkEntry&)>& visit);

// Splits "a/b/c" into components; false when a component is empty, "." or
// "..", or the path is absolute.
bool plain_components(const std::string& path, std::vector<std::string>* parts);

// "1.5 MiB", "64 KiB", "200 B".
std::string human_size(uint64_t bytes);

}  // namespace bbox::guesthome::detail
