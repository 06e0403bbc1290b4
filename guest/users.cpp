#include "users.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <vector>

#include "bbox/vm/guest_cmdline.h"
#include "log.h"

namespace bbox::guest {
namespace {

namespace gc = bbox::guest_cmdline;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t i = 0;
  for (;;) {
    size_t j = s.find(sep, i);
    if (j == std::string_view::npos) {
      out.push_back(s.substr(i));
      return out;
    }
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

bool is_number(std::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Keeps well-formed entries of a colon-separated database, minus those whose
// name or id column belongs to sandbox. Reports whether an id-0 entry exists.
std::string filter(std::string_view db, size_t fields, size_t id_col, bool* has_root) {
  std::string out;
  for (std::string_view line : split(db, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto f = split(line, ':');
    if (f.size() != fields || f[0].empty() || !is_number(f[id_col])) continue;
    if (f[0] == gc::kSandboxUser || f[id_col] == "1000") continue;
    if (f[id_col] == "0") *has_root = true;
    out.append(line);
    out.push_back('\n');
  }
  return out;
}

bool read_file(const char* path, std::string* out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  ::close(fd);
  return n == 0;
}

bool write_file(const char* path, const std::string& data, mode_t mode) {
  // The image's file may be a symlink (to a read-only place or out of /etc):
  // replace the link itself rather than writing through it.
  ::unlink(path);
  int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return false;
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return ::close(fd) == 0 && ok;
}

}  // namespace

std::string passwd_with_sandbox(std::string_view passwd, std::string_view shell) {
  bool has_root = false;
  std::string kept = filter(passwd, 7, 2, &has_root);
  std::string out = has_root ? "" : "root:x:0:0:root:/root:/bin/sh\n";
  out += kept;
  out += std::string(gc::kSandboxUser) + ":x:1000:1000:sandbox:" + gc::kSandboxHome + ":" +
         std::string(shell) + "\n";
  return out;
}

std::string group_with_sandbox(std::string_view group) {
  bool has_root = false;
  std::string kept = filter(group, 4, 2, &has_root);
  std::string out = has_root ? "" : "root:x:0:\n";
  out += kept;
  out += std::string(gc::kSandboxUser) + ":x:1000:\n";
  return out;
}

void ensure_sandbox_user() {
  std::string passwd, group;
  read_file("/etc/passwd", &passwd);
  read_file("/etc/group", &group);
  const char* shell = ::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
  ::mkdir("/etc", 0755);
  if (!write_file("/etc/passwd", passwd_with_sandbox(passwd, shell), 0644)) {
    log("cannot write /etc/passwd");
  }
  if (!write_file("/etc/group", group_with_sandbox(group), 0644)) log("cannot write /etc/group");

  ::mkdir("/home", 0755);
  // An image may ship /home/sandbox as a symlink (to /etc, say) or a file:
  // replace it with a real directory, so the chown below cannot hand the
  // sandbox user a directory elsewhere.
  struct stat st {};
  if (::lstat(gc::kSandboxHome, &st) == 0 && !S_ISDIR(st.st_mode)) {
    log("%s is not a directory in the image; replacing it", gc::kSandboxHome);
    ::unlink(gc::kSandboxHome);
  }
  if (::mkdir(gc::kSandboxHome, 0755) != 0 && errno != EEXIST) {
    log("cannot create %s", gc::kSandboxHome);
    return;
  }
  // Safety: O_NOFOLLOW|O_DIRECTORY, then fchown: the directory itself, never
  // where a symlink points.
  int fd = ::open(gc::kSandboxHome, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  // The home lives on the overlay's tmpfs upper layer; owning it makes it
  // writable for the sandbox user whatever the image had there.
  if (fd < 0 || ::fchown(fd, gc::kSandboxUid, gc::kSandboxGid) != 0) {
    log("cannot chown %s", gc::kSandboxHome);
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace bbox::guest
