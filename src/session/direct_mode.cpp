#include "session/direct_mode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/common/unique_fd.h"

namespace bbox::session {
namespace {

namespace fs = std::filesystem;

fs::path acknowledgement_file() { return paths::data_dir() / "direct-mode-acknowledged"; }

}  // namespace

Status check_direct_mode(const SessionRequest& req) {
  std::error_code ec;
  bool acknowledged = fs::exists(acknowledgement_file(), ec);
  if (!acknowledged && !req.yes) {
    return Error{"use direct mode: the agent would change " + ui::quoted(req.workspace.string()) +
                 " itself, with no snapshot and no review; run again with --yes to accept this"};
  }
  if (!acknowledged) {
    fs::create_directories(paths::data_dir(), ec);
    UniqueFd fd(::open(acknowledgement_file().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) ui::warning("record direct-mode acknowledgement: {}", std::strerror(errno));
  }
  ui::warning("DIRECT MODE: the agent works on {} itself; no snapshot, no review, no undo",
              ui::quoted(req.workspace.string()));
  return ok_status();
}

RunDir::~RunDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Result<RunDir> make_run_dir() {
  fs::path base = paths::cache_dir() / "runs";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return Error{"create " + ui::quoted(base.string()) + ": " + ec.message()};
  std::string templ = (base / "run-XXXXXX").string();
  // mkdtemp creates the directory with mode 0700, so sockets in it are private.
  if (::mkdtemp(templ.data()) == nullptr) {
    return errno_error("create run directory under " + ui::quoted(base.string()), errno);
  }
  return RunDir(fs::path(templ));
}

}  // namespace bbox::session
