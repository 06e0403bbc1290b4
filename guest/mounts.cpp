#include "mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "bbox/vm/guest_cmdline.h"
#include "log.h"

namespace bbox::guest {
namespace {

namespace gc = bbox::guest_cmdline;

constexpr const char* kLower = "/bbox/lower";   // the image, read-only
constexpr const char* kState = "/bbox/state";   // tmpfs: overlay upper + work
constexpr const char* kNewRoot = "/bbox/root";  // the overlay

void must_mount(const char* src, const char* dst, const char* type, unsigned long flags,
                const char* data) {
  ::mkdir(dst, 0755);
  if (::mount(src, dst, type, flags, data) != 0) {
    fatal("mount %s on %s: %s", type, dst, std::strerror(errno));
  }
}

// The block device appears when virtio_blk probes; wait for it (up to 30 s).
void mount_image(const BootConfig& cfg) {
  ::mkdir("/bbox", 0700);
  ::mkdir(kLower, 0755);
  int err = 0;
  for (int i = 0; i < 600; ++i) {
    if (::mount(cfg.root.c_str(), kLower, cfg.rootfstype.c_str(), MS_RDONLY, nullptr) == 0) {
      return;
    }
    err = errno;
    if (err != ENOENT && err != ENXIO) break;
    ::usleep(50 * 1000);
  }
  fatal("mount the root image %s (%s): %s", cfg.root.c_str(), cfg.rootfstype.c_str(),
        std::strerror(err));
}

void move_mount(const char* from, const std::string& to) {
  ::mkdir(to.c_str(), 0755);
  if (::mount(from, to.c_str(), nullptr, MS_MOVE, nullptr) != 0) {
    fatal("move %s to %s: %s", from, to.c_str(), std::strerror(errno));
  }
}

// Frees the initramfs copies of bbox-init and the modules: once the root
// moves, nothing can reach them, but they would keep their memory.
void free_initramfs() {
  ::unlink("/init");
  // Module files are small; their directory stays. Loading is over by now.
}

void mount_runtime_dirs(const BootConfig& cfg) {
  must_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
  must_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  must_mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
  std::string tmp_opts = "mode=1777";
  if (cfg.tmp_mib > 0) tmp_opts += ",size=" + std::to_string(cfg.tmp_mib) + "m";
  must_mount("tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts.c_str());
}

}  // namespace

void mount_early() {
  must_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  must_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  must_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
}

void switch_to_image_root(const BootConfig& cfg) {
  mount_image(cfg);
  must_mount("bbox-state", kState, "tmpfs", 0, "mode=0755");
  ::mkdir("/bbox/state/upper", 0755);
  ::mkdir("/bbox/state/work", 0755);
  must_mount("overlay", kNewRoot, "overlay", 0,
             "lowerdir=/bbox/lower,upperdir=/bbox/state/upper,workdir=/bbox/state/work");

  std::string root = kNewRoot;
  move_mount("/proc", root + "/proc");
  move_mount("/sys", root + "/sys");
  move_mount("/dev", root + "/dev");
  free_initramfs();

  // The initramfs cannot be pivoted away from; the usual switch is to move
  // the new root over "/" and chroot into it. PID 1 keeps running from the
  // (now unreachable) initramfs copy of its binary, which it no longer needs.
  if (::chdir(kNewRoot) != 0 || ::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0 ||
      ::chroot(".") != 0 || ::chdir("/") != 0) {
    fatal("switch to the image root: %s", std::strerror(errno));
  }
  mount_runtime_dirs(cfg);
}

void mount_workspace() {
  ::mkdir(gc::kWorkspaceMount, 0755);
  if (::mount(gc::kWorkspaceTag, gc::kWorkspaceMount, "virtiofs", MS_NOSUID | MS_NODEV, nullptr) !=
      0) {
    log("no workspace share (%s): %s is an empty directory", std::strerror(errno),
        gc::kWorkspaceMount);
  }
}

}  // namespace bbox::guest
