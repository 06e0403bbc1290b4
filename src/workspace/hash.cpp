#include "workspace/hash.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "workspace/fsutil.h"

namespace bbox::workspace {
namespace {

using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string finish(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  return hex_encode(std::string_view(reinterpret_cast<char*>(md), len));
}

// Holes (found with SEEK_DATA/SEEK_HOLE) are hashed as zeros from memory,
// so a 10 GiB sparse file costs its data, not its length, in reads.
Status feed_fd(EVP_MD_CTX* ctx, int fd) {
  std::vector<char> buf(1 << 20);
  static const std::vector<char> zeros(1 << 20, 0);
  struct stat st {};
  off_t size = ::fstat(fd, &st) == 0 ? st.st_size : 0;
  off_t off = 0;
  while (true) {
    off_t data = off < size ? ::lseek(fd, off, SEEK_DATA) : -1;
    if (data < 0 && errno == ENXIO) data = size;
    if (data > off) {
      off_t hole_end = std::min(data, size);
      for (; off < hole_end;) {
        size_t n = static_cast<size_t>(std::min<off_t>(hole_end - off, zeros.size()));
        EVP_DigestUpdate(ctx, zeros.data(), n);
        off += static_cast<off_t>(n);
      }
    }
    ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", errno);
    if (n == 0) return ok_status();
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n));
    off += n;
  }
}

}  // namespace

Result<std::string> sha256_fd(int fd) {
  Ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  if (auto st = feed_fd(ctx.get(), fd); !st) return st.error();
  return finish(ctx.get());
}

Result<std::string> git_blob_id_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("inspect", errno);
  Ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
  std::string header = "blob " + std::to_string(st.st_size);
  EVP_DigestUpdate(ctx.get(), header.c_str(), header.size() + 1);
  if (auto r = feed_fd(ctx.get(), fd); !r) return r.error();
  return finish(ctx.get());
}

std::string git_blob_id(const std::string& content) {
  Ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
  std::string header = "blob " + std::to_string(content.size());
  EVP_DigestUpdate(ctx.get(), header.c_str(), header.size() + 1);
  EVP_DigestUpdate(ctx.get(), content.data(), content.size());
  return finish(ctx.get());
}

}  // namespace bbox::workspace
