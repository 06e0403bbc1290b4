// Builds a file or tree that several test processes share (ctest runs the
// cases of a suite as separate processes, possibly at the same time).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "bbox/common/result.h"

namespace bbox::test_support {

// Makes `target` with `build`, unless it is already there and was built
// from the same `recipe` (a text describing what goes in; a change rebuilds).
// Under an exclusive flock on `target`.lock: `build` writes into
// `target`.tmp, which is renamed onto `target` when it succeeds, so no
// process ever sees a half-built result. `target`.recipe records the recipe.
Status build_once(const std::filesystem::path& target, const std::string& recipe,
                  const std::function<Status(const std::filesystem::path& tmp)>& build);

}  // namespace bbox::test_support
