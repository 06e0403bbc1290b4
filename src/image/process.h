// Running helper programs (mkfs.ext4, newuidmap, credential helpers) with an
// argv vector, never through a shell.
#pragma once

#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image {

// Runs argv[0] (looked up in PATH) with stdin from `input` and returns what
// it wrote to stdout. A non-zero exit is an Error naming the program, its
// status and the last line it wrote to stderr.
Result<std::string> run_program(const std::vector<std::string>& argv,
                                const std::string& input = {});

}  // namespace bbox::image
