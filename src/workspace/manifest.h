// The manifest: what the snapshot held when it was taken, one entry per
// path, with the identity of the host file and of its copy. The diff trusts
// an entry's copy as untouched only when inode, ctime and size all still
// match (the guest can set mtime, never ctime). The flush journal appends
// updates, so a flush interrupted at any point resumes where it stopped.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::workspace {

enum class EntryType : char { kNone = '-', kFile = 'f', kDir = 'd', kSymlink = 'l' };

struct Identity {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t ctime_ns = 0;
  bool operator==(const Identity&) const = default;
  static Identity of(const struct stat& st);
};

struct ManifestEntry {
  std::string path;
  EntryType type = EntryType::kNone;
  uint32_t mode = 0;   // permission bits of the copy in the snapshot
  Identity host;       // the workspace entry when it was copied (ino 0: none)
  Identity copy;       // the snapshot entry after copying
  std::string target;  // symlinks
};

class Manifest {
 public:
  std::map<std::string, ManifestEntry> entries;

  // Loads <session>/manifest and replays <session>/journal over it.
  static Result<Manifest> load(const std::filesystem::path& session_dir);
  // Writes <session>/manifest atomically.
  Status save(const std::filesystem::path& session_dir) const;
};

// Append-only record of flush progress: each applied or settled change
// updates or removes one manifest entry.
class Journal {
 public:
  static Result<Journal> open(const std::filesystem::path& session_dir);
  Status update(const ManifestEntry& e);
  Status remove(const std::string& path);
  Status sync();

 private:
  UniqueFd fd_;
};

}  // namespace bbox::workspace
