// TempDir: a fresh directory for one test, removed with everything in it
// when the object goes away.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace bbox::test_support {

class TempDir {
 public:
  // Makes `parent`/`prefix`-XXXXXX (mkdtemp, mode 0700); `parent` defaults to
  // std::filesystem::temp_directory_path(). Tests that put unix sockets in
  // the directory pass "/tmp" to keep the socket paths short. Throws
  // std::filesystem::filesystem_error when the directory cannot be made.
  explicit TempDir(std::string_view prefix = "bbox-test", const std::filesystem::path& parent = {});
  // Gives owner rwx back to every directory below (tests take it away to
  // provoke errors), then removes the tree. Symlinks are not followed. With
  // BBOX_TEST_KEEP set in the environment the tree is left for inspection.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }

  // Writes `text` to path()/`rel`, making parent directories; returns the path.
  std::filesystem::path write(const std::filesystem::path& rel, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace bbox::test_support
