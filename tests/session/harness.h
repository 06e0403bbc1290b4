// End-to-end harness: runs the real bbox binary on a real workspace with a
// busybox root file system made at test time, under private XDG folders.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bbox::testing {

struct RunOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A busybox-static root file system under the build dir, made once per run.
// Returns an empty path when busybox-static is not installed.
std::filesystem::path busybox_rootfs();

// A fresh temporary directory, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `bbox args...` in `cwd` with stdin from /dev/null, capturing both
// streams. The cache (kernel, initramfs) is shared by the whole test run;
// config and data folders are private to `home`.
RunOutput run_bbox(const std::filesystem::path& cwd, const std::filesystem::path& home,
                   const std::vector<std::string>& args);

// Starts `bbox args...` like run_bbox, with output discarded; returns its pid.
int start_bbox(const std::filesystem::path& cwd, const std::filesystem::path& home,
               const std::vector<std::string>& args);
// Waits for a child started by start_bbox; returns its exit code (128+N for a signal).
int wait_bbox(int pid);

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

}  // namespace bbox::testing
