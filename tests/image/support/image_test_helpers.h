// Shared fixtures for the image tests: temporary directories, a private
// store (XDG_DATA_HOME pointed at a temp dir), and debugfs readers for ext4
// root images.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image/process.h"  // run_program

namespace bbox::image::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "bbox-image-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), mode);
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
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
  PrivateStore() {
    const char* old = std::getenv("XDG_DATA_HOME");
    if (old != nullptr) old_ = old;
    had_old_ = old != nullptr;
    ::setenv("XDG_DATA_HOME", dir_.path().c_str(), 1);
  }
  ~PrivateStore() {
    if (had_old_)
      ::setenv("XDG_DATA_HOME", old_.c_str(), 1);
    else
      ::unsetenv("XDG_DATA_HOME");
  }
  fs::path images() const { return dir_.path() / "broodbox" / "images"; }

 private:
  TempDir dir_;
  std::string old_;
  bool had_old_ = false;
};

}  // namespace bbox::image::testing
