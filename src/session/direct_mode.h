// Direct mode: the VM mounts the workspace itself, with no snapshot and no
// review. Dangerous by design, so it needs --yes the first time and prints a
// banner on every run.
#pragma once

#include <filesystem>

#include "bbox/common/result.h"
#include "bbox/session/session.h"

namespace bbox::session {

// Checks that direct mode was acknowledged (now with --yes, or on an earlier
// run) and prints the banner. Records a first acknowledgement under
// paths::data_dir().
Status check_direct_mode(const SessionRequest& req);

// A private directory for one direct-mode run's sockets and console log,
// removed when the RunDir goes away.
class RunDir {
 public:
  explicit RunDir(std::filesystem::path path) : path_(std::move(path)) {}
  RunDir(RunDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  RunDir& operator=(RunDir&&) = delete;
  ~RunDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Result<RunDir> make_run_dir();

}  // namespace bbox::session
