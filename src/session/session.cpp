// The session flow (docs/ARCHITECTURE.md, "Session flow"):
//   image -> snapshot -> network -> VM (run the command) -> stop -> diff,
//   review, flush.
// Nothing is compared until run_vm has returned, which means QEMU and
// virtiofsd are gone: the snapshot can no longer change under the differ.
#include "bbox/session/session.h"

#include <fmt/format.h>
#include <unistd.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/image/build.h"
#include "bbox/image/image.h"
#include "bbox/log/log.h"
#include "bbox/vm/vm.h"
#include "bbox/workspace/workspace.h"
#include "session/direct_mode.h"
#include "session/guest_env.h"
#include "session/network.h"
#include "session/phase_timer.h"

namespace bbox::session {
namespace {

namespace fs = std::filesystem;

image::PullPolicy to_image(PullPolicy p) {
  switch (p) {
    case PullPolicy::kAlways: return image::PullPolicy::kAlways;
    case PullPolicy::kNever: return image::PullPolicy::kNever;
    case PullPolicy::kIfNotPresent: break;
  }
  return image::PullPolicy::kIfNotPresent;
}

vm::Accel to_vm(Accel a) {
  switch (a) {
    case Accel::kKvm: return vm::Accel::kKvm;
    case Accel::kTcg: return vm::Accel::kTcg;
    case Accel::kAuto: break;
  }
  return vm::Accel::kAuto;
}

// The command to run: the request's, else the image's entrypoint + cmd.
Result<std::vector<std::string>> guest_command(const SessionRequest& req,
                                               const image::ImageConfig& cfg) {
  if (!req.command.empty()) return req.command;
  std::vector<std::string> argv = cfg.entrypoint;
  argv.insert(argv.end(), cfg.cmd.begin(), cfg.cmd.end());
  if (argv.empty()) {
    return Error{fmt::format("run image {}: no command given and the image names none "
                             "(add one after --)", ui::quoted(req.image))};
  }
  return argv;
}

vm::VmSpec make_vm_spec(const SessionRequest& req, const fs::path& session_dir,
                        const fs::path& shared_dir, const image::ResolvedImage& img,
                        std::vector<std::string> argv) {
  vm::VmSpec spec;
  spec.session_dir = session_dir;
  spec.shared_dir = shared_dir;
  spec.root_image = img.root_image;
  spec.kernel = req.kernel;
  spec.cpus = req.cpus;
  spec.memory_mib = req.memory_mib;
  spec.tmp_size_mib = req.tmp_size_mib;
  spec.accel = to_vm(req.accel);
  spec.argv = std::move(argv);
  spec.env = guest_environment(img.config, req.env);
  spec.tty = req.tty && ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
  if (!img.config.working_dir.empty() && req.workspace_mode == WorkspaceMode::kDirect) {
    spec.workdir = "/workspace";
  }
  return spec;
}

void add_vm_phases(PhaseTimer& timer, const vm::VmTimings& t, PhaseTimer::Clock::time_point at) {
  timer.add("kernel/initramfs", at, t.kernel_initramfs);
  at += t.kernel_initramfs;
  timer.add("vm start to ready", at, t.start_to_ready);
  at += t.start_to_ready;
  timer.add("session", at, t.session);
  at += t.session;
  timer.add("stop", at, t.stop);
}

struct RunOutcome {
  int exit_code = 0;
  int interrupted_by = 0;  // the signal (SIGINT, SIGTERM, SIGHUP) that ended the run, or 0
};

// Runs the VM on `shared_dir` and returns the command's exit code.
Result<RunOutcome> boot_and_run(const SessionRequest& req, const fs::path& session_dir,
                         const fs::path& shared_dir, const image::ResolvedImage& img,
                         PhaseTimer& timer) {
  auto argv = guest_command(req, img.config);
  if (!argv) return argv.error();
  auto spec = make_vm_spec(req, session_dir, shared_dir, img, std::move(*argv));
  guesthome::PreparedHome home = guesthome::prepare_guest_home(req.home);
  spec.files_before_exec = home.files;
  spec.fetch_after_exit = home.fetch_after_exit;
  spec.ssh_agent_socket = req.home.ssh_agent_socket;

  timer.begin("network");
  auto net = start_network(req, session_dir);
  if (!net) return net.error();
  spec.network = (*net)->guest_network();
  timer.end();

  auto vm_start = PhaseTimer::Clock::now();
  auto result = vm::run_vm(spec);
  if (!result) return result.error();
  // The VM has stopped: what came back is saved now, whatever the outcome;
  // a failure to save is a warning and changes nothing else.
  guesthome::keep_credentials(req.home, home, result->fetched);
  add_vm_phases(timer, result->timings, vm_start);
  std::string blocked = (*net)->blocked_summary();
  if (!blocked.empty()) ui::note("{}", blocked);
  return RunOutcome{result->exit_code, result->interrupted_by};
}

// "bbox-local/NAME[:latest]" names an image bbox builds itself (on first use,
// with progress); anything else is resolved as written.
Result<image::ResolvedImage> resolve_session_image(const SessionRequest& req) {
  constexpr std::string_view kLocal = "bbox-local/";
  std::string ref = req.image;
  if (ref.rfind(kLocal, 0) == 0) {
    std::string name = ref.substr(kLocal.size());
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ":latest") == 0) {
      name.resize(name.size() - 7);
    }
    auto built = image::ensure_agent_image(name, {req.verbose});
    if (!built) return built.error();
    ref = *built;
  }
  return image::resolve_image(ref, to_image(req.pull));
}

void report(const SessionRequest& req, const PhaseTimer& timer, const std::string& id) {
  if (req.timings) fmt::print(stderr, "{}", timer.table());
  if (!req.trace) return;
  fs::path dir = paths::cache_dir() / "traces";
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path file = dir / (id + ".json");
  if (auto st = timer.write_trace(file, id); !st) {
    ui::warning("{}", st.error().message);
  } else {
    ui::note("trace written to {}", ui::quoted(file.string()));
  }
}

Result<int> run_direct(const SessionRequest& req, const image::ResolvedImage& img,
                       PhaseTimer& timer) {
  if (auto st = check_direct_mode(req); !st) return st.error();
  auto run_dir = make_run_dir();
  if (!run_dir) return run_dir.error();
  auto outcome = boot_and_run(req, run_dir->path(), req.workspace, img, timer);
  report(req, timer, run_dir->path().filename().string());
  if (!outcome) return outcome.error();
  return outcome->exit_code;
}

// Combines the command's exit code with the outcome of the review: the
// command's status wins, unless it succeeded and bbox itself did not.
// The session log outlives the session directory (removed after the flush):
// it goes to paths::cache_dir()/logs/<id>.log.
void attach_session_log(const std::string& id) {
  fs::path dir = paths::cache_dir() / "logs";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (auto st = log::attach_session_file(dir / (id + ".log")); !st) {
    ui::warning("{}", st.error().message);
  }
}

int final_exit_code(int command_rc, const Result<int>& finish) {
  if (!finish) {
    ui::error("{}", finish.error().message);
    return command_rc != 0 ? command_rc : exit_code::kError;
  }
  return command_rc != 0 ? command_rc : *finish;
}

}  // namespace

Result<int> run_session(const SessionRequest& req) {
  PhaseTimer timer;
  timer.begin("image");
  auto img = resolve_session_image(req);
  if (!img) return img.error();
  timer.end();
  if (req.workspace_mode == WorkspaceMode::kDirect) return run_direct(req, *img, timer);

  timer.begin("snapshot");
  auto session = workspace::create_session(req.workspace);
  if (!session) return session.error();
  attach_session_log(session->id);
  auto stats = workspace::take_snapshot(*session, {req.workspace, req.excludes});
  if (!stats) {
    // Nothing ran on a snapshot that never finished: nothing to keep.
    if (auto st = workspace::remove_session_dir(*session); !st) {
      ui::warning("{}", st.error().message);
    }
    return stats.error().wrap("snapshot workspace");
  }
  timer.end();
  if (req.verbose) {
    ui::info("snapshot {}: {} files, {} directories, {} symlinks, {} skipped", session->id,
             stats->files, stats->dirs, stats->symlinks, stats->skipped);
  }

  auto outcome = boot_and_run(req, session->dir, session->snapshot, *img, timer);
  if (!outcome) {
    // run_vm fails only before the command started: nothing could have
    // changed the snapshot, so there is nothing to keep.
    if (auto st = workspace::remove_session_dir(*session); !st) {
      ui::warning("{}", st.error().message);
    }
    return outcome.error();
  }
  if (outcome->interrupted_by != 0) {
    // An interrupted session is not a finished one: nothing is written back
    // without the user asking for it.
    ui::note("session interrupted: nothing was applied; `bbox review {}` reviews the changes, "
             "`bbox sessions rm {}` discards them", session->id, session->id);
    report(req, timer, session->id);
    return outcome->exit_code;
  }

  timer.begin("diff, review, flush");
  workspace::FinishOptions finish_opts{req.interactive_review, req.yes, req.output_patch, false};
  auto finish = workspace::finish_session(*session, finish_opts);
  timer.end();
  report(req, timer, session->id);
  return final_exit_code(outcome->exit_code, finish);
}

}  // namespace bbox::session
