// ensure_initramfs: bbox-init and the kernel modules as a cpio archive,
// stored under the SHA-256 of its own bytes so that a new bbox-init or kernel
// gives a new file and an unchanged one is reused.
//
// Layout inside the archive:
//   /init                              bbox-init
//   /dev/console                       so the kernel can open the console
//   /lib/modules/<release>/<name>.ko   the modules
//   /lib/modules/bbox.order            their paths in load order, one a line
#include "bbox/vm/initramfs.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "vm/cpio.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{"read " + ui::quoted(p.string()) + ": cannot open"};
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error{"read " + ui::quoted(p.string()) + ": read error"};
  return data;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(digits[md[i] >> 4]);
    hex.push_back(digits[md[i] & 15]);
  }
  return hex;
}

Result<std::string> build_archive(const Kernel& kernel, const fs::path& bbox_init) {
  auto init = read_file(bbox_init);
  if (!init) return init.error();
  CpioWriter w;
  for (const char* d : {"dev", "proc", "sys", "run", "tmp", "lib", "lib/modules"}) {
    w.add_directory(d);
  }
  w.add_char_device("dev/console", 5, 1);
  w.add_file("init", *init, 0755);

  std::string release = kernel.version.empty() ? "unknown" : kernel.version;
  std::string dir = "lib/modules/" + release;
  w.add_directory(dir);
  std::string order;
  for (const auto& m : kernel.modules) {
    auto data = read_file(m);
    if (!data) return data.error();
    std::string path = dir + "/" + m.filename().string();
    w.add_file(path, *data);
    order += "/" + path + "\n";
  }
  w.add_file("lib/modules/bbox.order", order);
  return std::move(w).finish();
}

Status write_atomically(const fs::path& dest, const std::string& data) {
  std::string tmpl = dest.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return errno_error("create " + ui::quoted(tmpl), errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      return errno_error("write " + ui::quoted(tmpl), err);
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0644);
  ::close(fd);
  // rename() replaces atomically: a concurrent bbox sees the old or new file.
  if (::rename(tmpl.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return errno_error("store " + ui::quoted(dest.string()), err);
  }
  return ok_status();
}

}  // namespace

Result<fs::path> find_bbox_init() {
  if (const char* env = std::getenv("BBOX_INIT"); env != nullptr && env[0] != '\0') {
    if (fs::is_regular_file(env)) return fs::path(env);
    return Error{"find bbox-init: $BBOX_INIT names " + ui::quoted(env) + ", which is no file"};
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Error{"find bbox-init: cannot resolve /proc/self/exe: " + ec.message()};
  for (const fs::path& candidate :
       {self.parent_path() / "bbox-init", self.parent_path() / "guest" / "bbox-init",
        self.parent_path().parent_path() / "lib" / "bbox" / "bbox-init"}) {
    if (fs::is_regular_file(candidate)) return candidate;
  }
  return Error{"find bbox-init: not beside " + ui::quoted(self.string()) +
               "; set BBOX_INIT to its path"};
}

Result<fs::path> ensure_initramfs(const Kernel& kernel, const fs::path& bbox_init) {
  auto archive = build_archive(kernel, bbox_init);
  if (!archive) return archive.error().wrap("build the initramfs");
  fs::path dir = paths::cache_dir() / "initramfs";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"create " + ui::quoted(dir.string()) + ": " + ec.message()};

  fs::path dest = dir / (sha256_hex(*archive) + ".cpio");
  if (fs::exists(dest)) return dest;
  if (auto st = write_atomically(dest, *archive); !st) return st.error();
  return dest;
}

}  // namespace bbox::vm
