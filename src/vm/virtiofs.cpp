#include "vm/virtiofs.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

// Runs in the forked child: enter the namespaces, wait for the parent to
// write the id maps, become root of the namespace, give virtiofsd a private
// /run, then let exec happen. Async-signal-safe calls only.
class NamespaceSetup : public ChildSetup {
 public:
  NamespaceSetup(pid_t parent, int ready_fd, int go_fd)
      : parent_(parent), ready_fd_(ready_fd), go_fd_(go_fd) {}

  int run(const char** what) override {
    *what = "unshare user and mount namespaces";
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
    *what = "wait for the id maps";
    char byte = 1;
    if (::write(ready_fd_, &byte, 1) != 1) return errno;
    ssize_t n;
    do {
      n = ::read(go_fd_, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) return ECANCELED;  // the parent failed or died: give up

    // Safety: inside the new user namespace these calls only change ids to
    // ones the parent mapped (inner 0 is an unprivileged subordinate id).
    *what = "become root of the user namespace";
    if (::setresgid(0, 0, 0) != 0 || ::setgroups(0, nullptr) != 0 || ::setresuid(0, 0, 0) != 0) {
      return errno;
    }
    return finish(what);
  }

 private:
  int finish(const char** what) {
    // Safety: the mounts are private to this child's new mount namespace; the
    // host's /run is untouched.
    *what = "make mounts private";
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
    *what = "mount a private /run";
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return errno;
    // virtiofsd keeps a descriptor per inode the guest looks up.
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
      nofile.rlim_cur = nofile.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &nofile);
    }
    // Safety: entering the namespace and changing ids cleared the
    // parent-death signal (the kernel drops it on credential changes); set it
    // again, and make sure bbox did not die in the meantime.
    *what = "set the parent-death signal";
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
    if (::getppid() != parent_) return ECANCELED;
    return 0;
  }

  pid_t parent_;
  int ready_fd_;
  int go_fd_;
};

std::string escape_option(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Parent side of the hand-shake: waits for the child to enter its user
// namespace, writes the maps, lets it go on.
Status map_child(pid_t pid, int ready_fd, UniqueFd& go_fd, const IdMapPlan& ids) {
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(ready_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return Error{"enter a user namespace: the child failed before mapping"};
  Status s = apply_id_maps(ids, pid);
  if (!s) return s;
  if (::write(go_fd.get(), &byte, 1) != 1) return errno_error("release the child", errno);
  go_fd.reset();
  return ok_status();
}

}  // namespace

std::vector<std::string> virtiofsd_args(const std::filesystem::path& shared_dir, int socket_fd) {
  return {"virtiofsd",
          fmt::format("--fd={}", socket_fd),
          "-o",
          "source=" + escape_option(shared_dir.string()),
          "-o",
          "cache=auto",
          "--rlimit-nofile=0"};
}

Result<VirtiofsServer> VirtiofsServer::start(const VirtiofsOptions& o) {
  if (::access(kVirtiofsdPath, X_OK) != 0) {
    return Error{
        fmt::format("start virtiofsd: '{}' not found (install the Debian package "
                    "'qemu-system-common')",
                    kVirtiofsdPath)};
  }
  VirtiofsServer server;
  auto listen = listen_unix(o.socket, 0600);
  if (!listen) return listen.error().wrap("start virtiofsd");
  server.listen_fd_ = std::move(*listen);

  int ready[2], go[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) {
    return errno_error("create pipe", errno);
  }
  UniqueFd ready_read(ready[0]), ready_write(ready[1]), go_read(go[0]), go_write(go[1]);
  NamespaceSetup setup(::getpid(), ready_write.get(), go_read.get());

  SpawnOptions so;
  so.program = kVirtiofsdPath;
  so.argv = virtiofsd_args(o.shared_dir, server.listen_fd_.get());
  so.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  so.stdout_fd = o.log_fd;
  so.stderr_fd = o.log_fd;
  so.inherit_fds = {server.listen_fd_.get()};
  so.setup = &setup;
  so.after_fork = [&](pid_t pid) {
    ready_write.reset();  // so a dead child reads as EOF, not a hang
    go_read.reset();
    return map_child(pid, ready_read.get(), go_write, o.ids);
  };
  auto child = ChildProcess::spawn(so);
  if (!child) return child.error();
  server.process_ = std::move(*child);
  return server;
}

void VirtiofsServer::stop() {
  process_.signal(SIGTERM);
  if (!process_.wait_for(std::chrono::milliseconds(1000))) process_.kill_and_reap();
  listen_fd_.reset();
}

}  // namespace bbox::vm
