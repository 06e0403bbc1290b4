// File-system steps of the credential store: folders made beneath a
// folder fd without following symlinks, a private staging folder, and the
// atomic swap of a staged tree into place.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::guesthome::detail {

// Makes (0700) and opens each of `parts` beneath `base_fd`; an existing
// component must be a real folder, not a symlink.
Result<UniqueFd> make_dirs_beneath(int base_fd, const std::vector<std::string>& parts);

// Makes `path` and its missing parents, 0700 each.
Result<UniqueFd> make_private_dir(const std::filesystem::path& path);

// Writes `data` to a new file `name` (0600) in `dir_fd`; it must not exist.
Status write_new_file(int dir_fd, const std::string& name, const std::string& data);

// Moves `from_dir_fd`/`from` to `to_dir_fd`/`to` in one step; an existing
// `to` is exchanged with it (the old content ends up at `from`).
Status swap_into_place(int from_dir_fd, const std::string& from, int to_dir_fd,
                       const std::string& to);

}  // namespace bbox::guesthome::detail
