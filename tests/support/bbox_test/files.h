// Whole-file reads and writes for test set-up and assertions.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace bbox::test_support {

// The bytes of `p`; empty when it cannot be read (tests compare contents, so
// a missing file shows up as a mismatch).
std::string read_file(const std::filesystem::path& p);

// Replaces `p` with `content`, making missing parent directories first.
void write_file(const std::filesystem::path& p, const std::string& content);
// The same, then sets the permission bits to `mode`.
void write_file(const std::filesystem::path& p, const std::string& content, mode_t mode);

}  // namespace bbox::test_support
