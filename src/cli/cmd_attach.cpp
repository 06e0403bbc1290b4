// bbox attach [--session NAME] [-- CMD [args]]: a second command (a shell by
// default) in the VM of a running session, with the user's terminal.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/common/unique_fd.h"
#include "bbox/vm/vm.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

namespace fs = std::filesystem;

struct AttachArgs {
  std::string session;
  std::vector<std::string> command;
};

// True when a bbox serves attach requests in `dir`: its attach.sock accepts
// a connection. A socket file left by a bbox that was killed does not.
bool serves_attach(const fs::path& dir) {
  fs::path sock = dir / "attach.sock";
  struct stat st{};
  if (::lstat(sock.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (sock.native().size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, sock.c_str(), sock.native().size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  // The probe connects and closes at once; the relay sees an empty client.
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

// Session directories (snapshot sessions) and run directories (direct mode)
// whose VM is running, as name -> directory.
std::vector<std::pair<std::string, fs::path>> running_sessions() {
  std::vector<std::pair<std::string, fs::path>> out;
  for (const fs::path& base : {paths::sessions_dir(), paths::cache_dir() / "runs"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      if (entry.is_directory(ec) && !entry.is_symlink(ec) && serves_attach(entry.path())) {
        out.emplace_back(entry.path().filename().string(), entry.path());
      }
    }
  }
  return out;
}

Result<fs::path> pick_session(const std::string& wanted) {
  auto running = running_sessions();
  for (const auto& [name, dir] : running) {
    if (wanted.empty() ? running.size() == 1 : name == wanted) return dir;
  }
  if (running.empty()) {
    return Error{wanted.empty() ? "no session is running (start one with `bbox shell` or "
                                  "`bbox AGENT`)"
                                : fmt::format("no running session is called {}; none is running",
                                              ui::quoted(wanted))};
  }
  std::string names;
  for (const auto& r : running) names += (names.empty() ? "" : ", ") + r.first;
  if (!wanted.empty()) {
    return Error{fmt::format("no running session is called {}; running: {}",
                             ui::quoted(wanted), names)};
  }
  return Error{fmt::format("{} sessions are running; name one: {}", running.size(), names)};
}

void run_attach(Context& ctx, const AttachArgs& args) {
  auto dir = pick_session(args.session);
  if (!dir) return ctx.fail(exit_code::kError, dir.error().message);
  vm::AttachSpec spec;
  spec.argv = args.command.empty() ? std::vector<std::string>{"/bin/sh", "-l"} : args.command;
  spec.tty = ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0;
  if (const char* term = std::getenv("TERM"); term != nullptr && spec.tty) {
    spec.env.push_back(std::string("TERM=") + term);
  }
  auto code = vm::attach_vm(*dir, spec);
  if (!code) return ctx.fail(exit_code::kError, code.error().message);
  ctx.exit_code = *code;
}

}  // namespace

void add_attach_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "attach", "Run a second command (a login shell by default) in a running session's VM");
  auto args = std::make_shared<AttachArgs>();
  cmd->add_option("-s,--session", args->session,
                  "Session name, as `bbox sessions` shows it (default: the only running one)");
  cmd->add_option("command", args->command, "Command and arguments to run (after --)");
  cmd->footer("Example: bbox attach -- git status");
  cmd->callback([&ctx, args] { run_attach(ctx, *args); });  // args owns the options' storage
}

}  // namespace bbox::cli
