#include "bbox_test/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include "bbox_test/files.h"

namespace bbox::test_support {

namespace fs = std::filesystem;

namespace {

// Tests remove permissions to provoke errors; removal needs rwx on every
// directory. lstat, so a symlink in the tree never leads the walk outside.
void restore_owner_access(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  if ((st.st_mode & S_IRWXU) != S_IRWXU) ::chmod(dir.c_str(), (st.st_mode & 07777) | S_IRWXU);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    restore_owner_access(entry.path());
  }
}

}  // namespace

TempDir::TempDir(std::string_view prefix, const fs::path& parent) {
  fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
  std::string templ = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw fs::filesystem_error("make temporary directory", base,
                               std::error_code(errno, std::generic_category()));
  }
  path_ = templ;
}

TempDir::~TempDir() {
  if (::getenv("BBOX_TEST_KEEP") != nullptr) return;
  restore_owner_access(path_);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const fs::path& rel, const std::string& text) const {
  fs::path p = path_ / rel;
  write_file(p, text);
  return p;
}

}  // namespace bbox::test_support
