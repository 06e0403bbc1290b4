// Shared fixtures for the image tests: temporary directories, a private
// store (XDG_DATA_HOME pointed at a temp dir), and debugfs readers for ext4
// root images.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "bbox_test/files.h"
#include "bbox_test/scoped_env.h"
#include "bbox_test/temp_dir.h"
#include "image/process.h"  // run_program

namespace bbox::image::testing {

namespace fs = std::filesystem;

using test_support::read_file;
using test_support::ScopedEnv;
using test_support::TempDir;

// Files the image tests write are 0644 unless the test says otherwise.
inline void write_file(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  test_support::write_file(p, text, mode);
}

// Runs debugfs -R REQUEST on an image and returns its output.
inline std::string debugfs(const fs::path& image, const std::string& request) {
  auto r = run_program({"debugfs", "-R", request, image.string()});
  return r ? *r : "debugfs failed: " + r.error().message;
}

struct InodeInfo {
  long uid = -1, gid = -1;
  unsigned mode = 0;  // permission bits and type, as debugfs prints them (octal)
  bool found = false;
};

// Parses "debugfs -R 'stat PATH'" output.
inline InodeInfo stat_in_image(const fs::path& image, const std::string& path) {
  std::string out = debugfs(image, "stat " + path);
  InodeInfo info;
  size_t u = out.find("User:");
  size_t m = out.find("Mode:");
  if (u == std::string::npos || m == std::string::npos) return info;
  info.found = true;
  info.uid = std::stol(out.substr(u + 5));
  size_t g = out.find("Group:", u);
  info.gid = std::stol(out.substr(g + 6));
  info.mode = std::stoul(out.substr(m + 5), nullptr, 8);
  return info;
}

// Points paths::data_dir() at a private directory for the test's lifetime.
class PrivateStore {
 public:
  fs::path images() const { return dir_.path() / "broodbox" / "images"; }

 private:
  TempDir dir_;
  ScopedEnv data_home_{"XDG_DATA_HOME", dir_.path().string()};
};

}  // namespace bbox::image::testing
