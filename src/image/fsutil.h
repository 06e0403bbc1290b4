// Small file helpers for the store: whole-file reads with a cap, atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "bbox/common/result.h"

namespace bbox::image {

// Reads a regular file of at most max_bytes (refusing larger ones).
Result<std::string> read_file_capped(const std::filesystem::path& file, uint64_t max_bytes);
// Bytes a file occupies on disk (root images are sparse); 0 when missing.
uint64_t disk_usage(const std::filesystem::path& file);
// Writes data to a temporary file beside path, syncs it and renames it over path.
Status write_file_atomic(const std::filesystem::path& path, const std::string& data);

}  // namespace bbox::image
