// Small helpers for the workspace tests: temporary trees, files, commands
// (the shared ones from tests/support under the names the tests use).
#pragma once

#include <filesystem>
#include <string>

#include "bbox_test/files.h"
#include "bbox_test/process.h"
#include "bbox_test/temp_dir.h"

namespace bbox::workspace::testing {

namespace fs = std::filesystem;

using test_support::read_file;
using test_support::shell_quote;
using test_support::TempDir;
using test_support::write_file;

// Runs a shell command; returns its stdout. `status` gets the exit status.
inline std::string run(const std::string& cmd, int* status = nullptr) {
  return test_support::shell_output(cmd, status);
}

}  // namespace bbox::workspace::testing
