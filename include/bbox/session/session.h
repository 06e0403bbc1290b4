// A session: snapshot the workspace, boot the VM from the image, run the
// command, stop the VM, diff, review and flush. The CLI resolves flags and
// configuration into a SessionRequest; run_session does the rest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/guesthome/guesthome.h"

namespace bbox::session {

enum class WorkspaceMode { kSnapshot, kDirect };
enum class Accel { kAuto, kKvm, kTcg };
enum class EgressProfile { kPermissive, kStandard, kLocked };
enum class PullPolicy { kAlways, kIfNotPresent, kNever };

// One allowed destination: a hostname or "*.suffix" wildcard, optional port
// (0 = any port).
struct AllowedHost {
  std::string host;
  uint16_t port = 0;
  // Listed by the user (--allow-host, network.allow_hosts, an agent's
  // allow_hosts) rather than by a profile: only such names may lead into
  // private address ranges.
  bool user_listed = false;
};

struct SessionRequest {
  // What runs.
  std::string agent;                 // agent name, or "run-image" / "shell"
  std::string image;                 // image reference, e.g. "dir:/srv/rootfs"
  PullPolicy pull = PullPolicy::kIfNotPresent;
  std::vector<std::string> command;  // argv in the guest; empty: the image's default
  std::map<std::string, std::string> env;  // forwarded variables (values never logged)
  bool tty = true;                   // attach a PTY when stdin and stdout are terminals

  // Where it runs.
  std::filesystem::path workspace;
  WorkspaceMode workspace_mode = WorkspaceMode::kSnapshot;
  std::vector<std::string> excludes;  // --exclude and review.exclude_patterns
  int cpus = 2;
  uint64_t memory_mib = 4096;
  uint64_t tmp_size_mib = 2048;
  Accel accel = Accel::kAuto;
  std::optional<std::filesystem::path> kernel;  // --kernel: use this vmlinuz

  // Network.
  EgressProfile egress = EgressProfile::kStandard;
  std::vector<AllowedHost> allow_hosts;    // profile hosts plus --allow-host
  std::vector<uint16_t> allow_host_ports;  // --allow-host-port

  // Review.
  bool interactive_review = false;  // --review
  bool yes = false;                 // --yes
  std::optional<std::filesystem::path> output_patch;

  // The guest home: settings imported from the host, the agent's saved
  // login restored and saved again afterwards, git identity and token helper,
  // the host's SSH agent (bbox/guesthome/guesthome.h). Empty: nothing.
  guesthome::HomePlan home;

  // Diagnostics.
  bool timings = false;
  bool trace = false;
  bool verbose = false;
};

// Runs one session. Returns the exit code bbox should exit with: the guest
// command's status (128+N for a signal) or one of bbox::exit_code.
// Errors before the command could start come back as Error.
Result<int> run_session(const SessionRequest& request);

}  // namespace bbox::session
