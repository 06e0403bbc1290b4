// Applying image layers (tar, optionally gzip or zstd compressed) onto a root
// file system directory, safely:
//   - entry paths are relative, never contain "..", and are resolved one
//     component at a time with openat(O_NOFOLLOW) from the root's descriptor:
//     an entry whose parent is a symlink (planted by an earlier entry or
//     layer) is refused, so nothing is ever written outside the root;
//   - the entry itself replaces whatever was at its place (a symlink there is
//     removed, never followed); hard links must name a file inside the root;
//   - OCI whiteouts: ".wh.NAME" removes NAME from lower layers, ".wh..wh..opq"
//     empties its directory of lower layers' entries;
//   - device nodes, FIFOs and sockets are skipped (counted), extended
//     attributes are not applied;
//   - owners and modes are set exactly as the headers say (setuid included);
//     the caller runs this with root's powers over image ids (userns.h).
// A refused layer leaves the root partly written: callers unpack into a
// temporary directory and discard it on error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bbox/common/result.h"

namespace bbox::image {

struct UnpackLimits {
  uint64_t max_bytes = 32ull << 30;  // total file data over all layers
  uint64_t max_entries = 4'000'000;  // total entries over all layers
};

// Running totals over the layers of one image.
struct UnpackStats {
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t skipped_special = 0;  // devices, FIFOs, sockets
};

// Applies one layer file onto root. `name` (the layer's digest) is used in
// messages.
Status apply_layer(const std::filesystem::path& root, const std::filesystem::path& layer,
                   const std::string& name, const UnpackLimits& limits, UnpackStats& stats);

}  // namespace bbox::image
