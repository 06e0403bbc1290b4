#include "image/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "bbox/common/unique_fd.h"

namespace bbox::image {

Result<std::string> read_file_capped(const std::filesystem::path& file, uint64_t max_bytes) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return errno_error("read " + file.string(), errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat " + file.string(), errno);
  if (!S_ISREG(st.st_mode)) return Error{"read " + file.string() + ": not a regular file"};
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Error{"read " + file.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + file.string(), errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

uint64_t disk_usage(const std::filesystem::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

Status write_file_atomic(const std::filesystem::path& path, const std::string& data) {
  std::string tmp = path.string() + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return errno_error("create " + tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return errno_error("write " + path.string(), e);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0 ||
      ::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return errno_error("write " + path.string(), e);
  }
  return ok_status();
}

}  // namespace bbox::image
