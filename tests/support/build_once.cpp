#include "bbox_test/build_once.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "bbox/common/unique_fd.h"
#include "bbox_test/files.h"

namespace bbox::test_support {

namespace fs = std::filesystem;

namespace {

fs::path beside(const fs::path& target, const char* suffix) {
  return fs::path(target.string() + suffix);
}

}  // namespace

Status build_once(const fs::path& target, const std::string& recipe,
                  const std::function<Status(const fs::path& tmp)>& build) {
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  fs::path lock_path = beside(target, ".lock"), recipe_path = beside(target, ".recipe");
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.valid()) return errno_error("open '" + lock_path.string() + "'", errno);
  // Safety: the lock is held until `lock` closes, whatever path this takes;
  // the other processes wait here and then find the target built.
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return errno_error("lock '" + lock_path.string() + "'", errno);
  }
  if (fs::exists(target, ec) && read_file(recipe_path) == recipe) return ok_status();

  fs::path tmp = beside(target, ".tmp");
  fs::remove(recipe_path, ec);
  fs::remove_all(tmp, ec);
  fs::remove_all(target, ec);
  Status built = build(tmp);
  if (!built) {
    fs::remove_all(tmp, ec);
    return built;
  }
  fs::rename(tmp, target, ec);
  if (ec) return Error{"rename '" + tmp.string() + "': " + ec.message()};
  write_file(recipe_path, recipe);
  return ok_status();
}

}  // namespace bbox::test_support
