// virtiofsd serving the session's shared directory (the snapshot) to the
// guest at /workspace.
//
// bbox creates the vhost-user listening socket itself and hands it to
// virtiofsd as an inherited descriptor (--fd), so the socket belongs to the
// user and QEMU can connect to it. virtiofsd runs inside new user and mount
// namespaces mapped as id_map.h describes, as root of that namespace, with a
// private tmpfs on /run for its pid file. It never runs with real privileges.
#pragma once

#include <filesystem>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "vm/child_process.h"
#include "vm/id_map.h"

namespace bbox::vm {

inline constexpr const char* kVirtiofsdPath = "/usr/lib/qemu/virtiofsd";

struct VirtiofsOptions {
  std::filesystem::path shared_dir;  // absolute
  std::filesystem::path socket;      // where QEMU connects (in the session dir)
  int log_fd = -1;                   // virtiofsd's stdout and stderr
  IdMapPlan ids;
};

class VirtiofsServer {
 public:
  // Starts virtiofsd. The socket exists and listens when this returns.
  static Result<VirtiofsServer> start(const VirtiofsOptions& options);

  // Stops virtiofsd (SIGTERM, then SIGKILL after a grace period) and reaps it.
  void stop();
  ChildProcess& process() { return process_; }

 private:
  UniqueFd listen_fd_;
  ChildProcess process_;
};

// The virtiofsd argument list (without the descriptor hand-off details that
// depend on the child). Commas in the path are escaped for its -o parser.
std::vector<std::string> virtiofsd_args(const std::filesystem::path& shared_dir, int socket_fd);

}  // namespace bbox::vm
