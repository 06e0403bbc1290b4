#include "workspace/copy.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "workspace/fsutil.h"

namespace bbox::workspace {
namespace {

bool range_unsupported(int err) {
  return err == EXDEV || err == ENOSYS || err == EINVAL || err == EOPNOTSUPP || err == EBADF;
}

// Copies [off, end) with pread/pwrite.
Status copy_by_read(int src, int dst, off_t off, off_t end) {
  std::vector<char> buf(1 << 20);
  while (off < end) {
    size_t want = static_cast<size_t>(std::min<off_t>(end - off, buf.size()));
    ssize_t n = ::pread(src, buf.data(), want, off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", errno);
    if (n == 0) break;  // the file shrank while being copied
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      ssize_t w = ::pwrite(dst, buf.data() + done, static_cast<size_t>(n) - done, off + done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno_error("write", errno);
      done += static_cast<size_t>(w);
    }
    off += n;
  }
  return ok_status();
}

// Copies [off, end) with copy_file_range, falling back to read/write.
Status copy_range(int src, int dst, off_t off, off_t end, bool* used_read) {
  loff_t in = off, out = off;
  while (in < end) {
    ssize_t n = ::copy_file_range(src, &in, dst, &out, static_cast<size_t>(end - in), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && range_unsupported(errno)) {
      *used_read = true;
      return copy_by_read(src, dst, in, end);
    }
    if (n < 0) return errno_error("copy", errno);
    if (n == 0) break;
  }
  return ok_status();
}

}  // namespace

Result<CopyMethod> copy_contents(int src, int dst, off_t size) {
  // Safety: FICLONE makes dst share src's extents (copy-on-write). Both are
  // regular files opened by us; dst is new and empty. It fails harmlessly
  // (EOPNOTSUPP/EXDEV/EINVAL) where the file system cannot share extents.
  if (size > 0 && ::ioctl(dst, FICLONE, src) == 0) return CopyMethod::kClone;

  bool used_read = false;
  off_t pos = 0;
  while (pos < size) {
    off_t data = ::lseek(src, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    off_t hole = size;
    if (data < 0) {
      data = pos;  // no SEEK_DATA support: copy everything
    } else {
      hole = ::lseek(src, data, SEEK_HOLE);
      if (hole < 0 || hole > size) hole = size;
    }
    if (data >= size) break;
    if (auto st = copy_range(src, dst, data, hole, &used_read); !st) return st.error();
    pos = hole;
  }
  if (::ftruncate(dst, size) != 0) return errno_error("set length", errno);
  return used_read ? CopyMethod::kReadWrite : CopyMethod::kRange;
}

}  // namespace bbox::workspace
