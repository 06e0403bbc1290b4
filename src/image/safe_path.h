// Resolving and removing paths inside a root directory by descriptor, never
// following a symlink: the building blocks of layer application.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::image {

// Splits a layer entry path ("./usr/bin/", "etc/passwd") into components.
// Refuses absolute paths, ".." components, NUL bytes and empty results;
// drops "." components and repeated or trailing slashes.
Result<std::vector<std::string>> split_entry_path(std::string_view path);

// Opens the directory that holds comps.back() under root_fd, creating missing
// directories (0755, owned by the caller: root in the image). Every component
// is opened with O_NOFOLLOW, so a symlink on the way is refused.
Result<UniqueFd> open_parent(int root_fd, const std::vector<std::string>& comps);

// Removes name inside dirfd (recursively for a directory), never following a
// symlink. A missing name is not an error.
Status remove_at(int dirfd, const std::string& name);

// Removes each entry of the directory dirfd for which keep(name) is false.
Status empty_dir_at(int dirfd, const std::function<bool(const std::string&)>& keep);

}  // namespace bbox::image
