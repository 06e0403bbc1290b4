#include "image/userns.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "bbox/common/unique_fd.h"
#include "image/process.h"

namespace bbox::image {
namespace {

std::string user_name(uid_t uid) {
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr) return pw->pw_name;
  return std::to_string(uid);
}

// Reads everything from fd until EOF.
std::string read_all(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, n);
  }
  return text;
}

Status map_ids(pid_t pid) {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  std::string name = user_name(uid);
  auto sub_uid = find_subordinate_range("/etc/subuid", name, uid);
  if (!sub_uid) return sub_uid.error();
  auto sub_gid = find_subordinate_range("/etc/subgid", name, uid);
  if (!sub_gid) return sub_gid.error();

  std::string p = std::to_string(pid);
  auto u = run_program({"newuidmap", p, "0", std::to_string(uid), "1", "1",
                        std::to_string(sub_uid->start), std::to_string(sub_uid->count)});
  if (!u) return u.error();
  auto g = run_program({"newgidmap", p, "0", std::to_string(gid), "1", "1",
                        std::to_string(sub_gid->start), std::to_string(sub_gid->count)});
  if (!g) return g.error();
  return ok_status();
}

// Child: enter a new user namespace, wait for the parent to map it, become
// its root and run fn. Reports an error message on err_fd.
[[noreturn]] void child_main(const std::function<Status()>& fn, int ready_fd, int go_fd,
                             int err_fd) {
  // Safety: CLONE_NEWUSER gives this process capabilities only over its own
  // new namespace; ids outside the mapping stay unmapped (overflow ids).
  if (::unshare(CLONE_NEWUSER) != 0) {
    std::string m = "enter a user namespace: " + std::string(std::strerror(errno));
    (void)!::write(err_fd, m.data(), m.size());
    ::_exit(1);
  }
  (void)!::write(ready_fd, "r", 1);
  char c;
  if (::read(go_fd, &c, 1) != 1 || c != 'g') ::_exit(1);  // the parent could not map us
  // Safety: inside the namespace these only switch to the mapped inner root.
  if (::setgroups(0, nullptr) != 0 || ::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) {
    std::string m = "become root in the user namespace: " + std::string(std::strerror(errno));
    (void)!::write(err_fd, m.data(), m.size());
    ::_exit(1);
  }
  Status s = fn();
  if (!s.ok()) (void)!::write(err_fd, s.error().message.data(), s.error().message.size());
  ::_exit(s.ok() ? 0 : 1);
}

}  // namespace

Result<IdRange> find_subordinate_range(const std::string& file, const std::string& user,
                                       uid_t uid) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string who = line.substr(0, a);
    if (who != user && who != std::to_string(uid)) continue;
    try {
      IdRange r{std::stoul(line.substr(a + 1, b - a - 1)), std::stoul(line.substr(b + 1))};
      if (r.count >= 1) return r;
    } catch (const std::exception&) {
    }
  }
  return Error{"find subordinate ids for " + user + " in " + file + ": none (add a line such as '" +
               user + ":100000:65536'; see DESIGN.md)"};
}

bool needs_user_namespace() { return ::geteuid() != 0; }

Status run_as_image_root(const std::function<Status()>& fn) {
  if (!needs_user_namespace()) return fn();

  int ready[2], go[2], err[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return errno_error("create pipes", errno);
  }
  UniqueFd ready_r(ready[0]), ready_w(ready[1]), go_r(go[0]), go_w(go[1]);
  UniqueFd err_r(err[0]), err_w(err[1]);

  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", errno);
  if (pid == 0) child_main(fn, ready_w.get(), go_r.get(), err_w.get());
  ready_w.reset();
  go_r.reset();
  err_w.reset();

  char c = 0;
  Status mapped = Error{"enter a user namespace: the child exited early"};
  if (::read(ready_r.get(), &c, 1) == 1) mapped = map_ids(pid);
  if (mapped.ok()) (void)!::write(go_w.get(), "g", 1);
  go_w.reset();
  std::string message = read_all(err_r.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!mapped.ok()) return mapped.error().wrap("map ids for a user namespace");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok_status();
  if (!message.empty()) return Error{message};
  return Error{"image work in a user namespace failed (status " + std::to_string(status) + ")"};
}

}  // namespace bbox::image
