// git-style patches of a change set: text hunks, binary files as
// "GIT binary patch" literals (streamed, never loaded whole), names quoted
// the way git quotes them. `git apply` and `patch -p1` accept the output.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "workspace/changes.h"

namespace bbox::workspace {

using Sink = std::function<void(std::string_view)>;

struct PatchOptions {
  bool colour = false;
  bool binary_data = false;      // GIT binary patch literals instead of a summary line
  uint64_t max_text = 8u << 20;  // larger files are treated as binary
};

// git's path quoting: "a/b" stays; a name with control characters, quotes,
// backslashes or non-ASCII bytes becomes "\"a/\\tb\"" with C escapes.
std::string git_quote(std::string_view prefixed_path);

// Writes the patch of one change. Directories have no patch form; they
// produce nothing here (the review lists them).
Status write_patch(const Change& c, const Trees& trees, const PatchOptions& opts, const Sink& sink);

// Reads a regular file beneath root when it is at most `limit` bytes and
// looks like text (no NUL in its first 8000 bytes).
std::optional<std::string> read_text_beneath(int root, const std::string& path, uint64_t limit);

}  // namespace bbox::workspace
