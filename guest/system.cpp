#include "system.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"

namespace bbox::guest {
namespace {

bool write_text(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return ::close(fd) == 0 && ok;
}

std::string read_text(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

void load_one(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    log("open module %s: %s", path.c_str(), std::strerror(errno));
    return;
  }
  // finit_module takes the module from a file we put in the initramfs
  // ourselves; no parameters are passed. EEXIST means built in or loaded.
  if (::syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
    log("load module %s: %s", path.c_str(), std::strerror(errno));
  }
  ::close(fd);
}

}  // namespace

void load_modules() {
  std::string order = read_text("/lib/modules/bbox.order");
  size_t i = 0;
  while (i < order.size()) {
    size_t j = order.find('\n', i);
    if (j == std::string::npos) j = order.size();
    if (j > i) load_one(order.substr(i, j - i));
    ::unlink(order.substr(i, j - i).c_str());  // the initramfs copy is not needed again
    i = j + 1;
  }
}

void set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) {
    log("set hostname: %s", std::strerror(errno));
  }
  std::string hosts = read_text("/etc/hosts");
  if (hosts.find(" " + name + "\n") != std::string::npos) return;
  if (hosts.find("localhost") == std::string::npos) hosts += "127.0.0.1 localhost\n";
  hosts += "127.0.1.1 " + name + "\n";
  ::unlink("/etc/hosts");  // may be a symlink into the read-only image
  int fd = ::open("/etc/hosts", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 || ::write(fd, hosts.data(), hosts.size()) < 0) log("cannot write /etc/hosts");
  if (fd >= 0) ::close(fd);
}

void harden() {
  struct Setting {
    const char* path;
    const char* value;
    bool optional;
  };
  static const Setting kSettings[] = {
      {"/proc/sys/kernel/kptr_restrict", "2", false},
      {"/proc/sys/kernel/dmesg_restrict", "1", false},
      {"/proc/sys/kernel/unprivileged_bpf_disabled", "1", false},
      {"/proc/sys/kernel/yama/ptrace_scope", "1", true},
      {"/proc/sys/kernel/perf_event_paranoid", "3", true},
      {"/proc/sys/kernel/kexec_load_disabled", "1", true},
      // What distributions set at boot (the kernel's defaults are off): no
      // following links or writing files of others in sticky /tmp.
      {"/proc/sys/fs/protected_symlinks", "1", true},
      {"/proc/sys/fs/protected_hardlinks", "1", true},
      {"/proc/sys/fs/protected_fifos", "1", true},
      {"/proc/sys/fs/protected_regular", "2", true},
      // Last: after this no module can be loaded until the VM powers off.
      {"/proc/sys/kernel/modules_disabled", "1", false},
  };
  for (const auto& s : kSettings) {
    if (!write_text(s.path, s.value) && !(s.optional && errno == ENOENT)) {
      log("harden: cannot write %s: %s", s.path, std::strerror(errno));
    }
  }
}

}  // namespace bbox::guest
