// Session directories under paths::sessions_dir(): creation, opening,
// listing and removal.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bbox/common/paths.h"
#include "bbox/workspace/workspace.h"
#include "workspace/fsutil.h"
#include "workspace/session_meta.h"

namespace bbox::workspace {
namespace fs = std::filesystem;
namespace {

// Creates `dir` and its parents with mode 0700 and checks that the final
// directory is a real directory owned by the caller.
Status make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"create '" + dir.string() + "': " + ec.message()};
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return errno_error("inspect '" + dir.string() + "'", errno);
  if (!S_ISDIR(st.st_mode)) return Error{"use '" + dir.string() + "': not a directory"};
  if (st.st_uid != ::geteuid()) {
    return Error{"use '" + dir.string() + "': owned by another user"};
  }
  ::chmod(dir.c_str(), 0700);
  return ok_status();
}

std::string new_session_id() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  unsigned char rnd[3] = {0, 0, 0};
  if (::getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    rnd[0] = static_cast<unsigned char>(::getpid());
  return std::string(stamp) + "-" + hex_encode(std::string_view(reinterpret_cast<char*>(rnd), 3));
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  auto in = inner.lexically_normal(), out = outer.lexically_normal();
  auto mismatch = std::mismatch(out.begin(), out.end(), in.begin(), in.end());
  return mismatch.first == out.end();
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// Opens (creating) dir/lock and takes an exclusive flock without waiting.
Result<std::shared_ptr<UniqueFd>> take_lock(const fs::path& dir, const std::string& id) {
  auto fd = std::make_shared<UniqueFd>(
      ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd->valid()) return errno_error("lock session '" + id + "'", errno);
  // Safety: flock is advisory and released by the kernel when the fd closes,
  // also when bbox dies, so a crashed session never stays locked.
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"open session '" + id +
                   "': in use by another bbox (still running, or in "
                   "review elsewhere)"};
    }
    return errno_error("lock session '" + id + "'", errno);
  }
  return fd;
}

}  // namespace

Result<SessionMeta> read_meta(const fs::path& session_dir) {
  std::ifstream in(session_dir / "meta");
  if (!in) return Error{"read session '" + session_dir.filename().string() + "': no meta file"};
  try {
    auto j = nlohmann::json::parse(in);
    SessionMeta m;
    m.workspace = hex_decode(j.at("workspace_hex").get<std::string>());
    m.state = j.at("state").get<std::string>();
    m.created = j.at("created").get<int64_t>();
    m.git_worktree = j.value("git_worktree", false);
    m.ignore_text = hex_decode(j.value("ignore_hex", std::string()));
    for (const auto& e : j.value("excludes_hex", std::vector<std::string>())) {
      m.excludes.push_back(hex_decode(e));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Error{"read session '" + session_dir.filename().string() + "': " + e.what()};
  }
}

Status write_meta(const fs::path& session_dir, const SessionMeta& m) {
  nlohmann::json j = {{"workspace_hex", hex_encode(m.workspace.string())},
                      {"state", m.state},
                      {"created", m.created},
                      {"git_worktree", m.git_worktree},
                      {"ignore_hex", hex_encode(m.ignore_text)}};
  std::vector<std::string> excludes;
  for (const auto& e : m.excludes) excludes.push_back(hex_encode(e));
  j["excludes_hex"] = excludes;
  auto tmp = session_dir / "meta.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << '\n';
    out.flush();
    if (!out) return Error{"write session meta: " + tmp.string()};
  }
  if (::rename(tmp.c_str(), (session_dir / "meta").c_str()) != 0) {
    return errno_error("write session meta", errno);
  }
  return ok_status();
}

Result<SessionDir> create_session(const fs::path& workspace) {
  std::error_code ec;
  fs::path ws = fs::canonical(workspace, ec);
  if (ec) return Error{"open workspace '" + workspace.string() + "': " + ec.message()};
  if (!fs::is_directory(ws)) return Error{"open workspace '" + ws.string() + "': not a directory"};
  if (ws == "/") return Error{"use workspace '/': refusing to snapshot the whole file system"};
  fs::path home = fs::weakly_canonical(paths::home_dir(), ec);
  if (ws == home) {
    return Error{"use workspace '" + ws.string() +
                 "': refusing to snapshot the home directory; run bbox in a project folder"};
  }
  if (auto st = make_private_dir(paths::sessions_dir()); !st) return st.error();
  fs::path cache = fs::canonical(paths::cache_dir(), ec);
  if (!ec && is_within(ws, cache)) {
    return Error{"use workspace '" + ws.string() + "': it lies inside bbox's cache"};
  }

  SessionDir s;
  for (int attempt = 0; attempt < 16; ++attempt) {
    s.id = new_session_id();
    s.dir = paths::sessions_dir() / s.id;
    if (::mkdir(s.dir.c_str(), 0700) == 0) break;
    if (errno != EEXIST) return errno_error("create session '" + s.dir.string() + "'", errno);
    s.id.clear();
  }
  if (s.id.empty()) return Error{"create session: no free session id"};
  s.snapshot = s.dir / "snapshot";
  auto lock = take_lock(s.dir, s.id);
  if (!lock) return lock.error();
  s.lock = *lock;
  SessionMeta meta;
  meta.workspace = ws;
  meta.created = static_cast<int64_t>(std::time(nullptr));
  if (auto st = write_meta(s.dir, meta); !st) return st.error();
  return s;
}

Result<SessionDir> open_session(const std::string& id) {
  if (!valid_id(id)) return Error{"open session '" + id + "': not a session name"};
  SessionDir s{id, paths::sessions_dir() / id, paths::sessions_dir() / id / "snapshot"};
  struct stat st {};
  if (::lstat(s.dir.c_str(), &st) != 0) {
    return Error{"open session '" + id + "': no such session (see `bbox sessions`)"};
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
    return Error{"open session '" + id + "': not a directory owned by you"};
  }
  auto lock = take_lock(s.dir, id);
  if (!lock) return lock.error();
  s.lock = *lock;
  return s;
}

Status remove_session(const std::string& id) {
  auto s = open_session(id);
  if (!s) return s.error();
  return remove_session_dir(*s);
}

Status remove_session_dir(const SessionDir& session) {
  const SessionDir* s = &session;
  const std::string& id = session.id;
  std::error_code ec;
  // Make read-only directories in the snapshot removable first.
  for (auto it = fs::recursive_directory_iterator(s->dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(s->dir, ec);
  if (ec) return Error{"remove session '" + id + "': " + ec.message()};
  return ok_status();
}

}  // namespace bbox::workspace
