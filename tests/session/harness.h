// End-to-end harness: runs the real bbox binary on a real workspace with a
// busybox root file system made at test time, under private XDG folders.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bbox_test/files.h"
#include "bbox_test/process.h"
#include "bbox_test/temp_dir.h"

namespace bbox::testing {

using RunOutput = test_support::ProcessResult;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

// A busybox-static root file system under the build dir, shared by the test
// processes of a run and built once. Returns an empty path when it cannot be
// built (busybox-static not installed).
std::filesystem::path busybox_rootfs();

// Runs `bbox args...` in `cwd` with stdin from /dev/null, capturing both
// streams. The cache (kernel, initramfs) is shared by the whole test run;
// config and data folders are private to `home`.
RunOutput run_bbox(const std::filesystem::path& cwd, const std::filesystem::path& home,
                   const std::vector<std::string>& args);

// Starts `bbox args...` like run_bbox, with output discarded; returns its pid.
pid_t start_bbox(const std::filesystem::path& cwd, const std::filesystem::path& home,
                 const std::vector<std::string>& args);
// Waits for a child started by start_bbox; returns its exit code (128+N for a signal).
int wait_bbox(pid_t pid);

}  // namespace bbox::testing
