// Saving the credential trees fetched from the guest. The guest wrote them:
// every entry is checked before it lands in the store.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <set>
#include <utility>

#include "bbox/common/message.h"
#include "bbox/guesthome/credentials.h"
#include "guesthome/host_tree.h"
#include "guesthome/store_fs.h"

namespace bbox::guesthome {
namespace {

namespace fs = std::filesystem;

constexpr size_t kNamedSkips = 5;  // unsafe entries named per save; the rest are counted
constexpr size_t kNamedOverLimit = 3;

// What a save left out. The guest decides what it sends, so the lines it can
// cause are bounded: unsafe entries (symlinks, escaping paths, special files)
// are named up to kNamedSkips; entries over the caps, common in an agent's
// state folder (transcripts, caches), make one line naming the first few.
class SkipLog {
 public:
  void unsafe(const std::string& shown, const std::string& why) {
    if (++unsafe_ <= kNamedSkips)
      ui::warning("not saving credential {}: {}", ui::quoted(shown), why);
  }
  void over_limit(const std::string& shown) {
    if (++over_ <= kNamedOverLimit) names_ += (names_.empty() ? "" : ", ") + ui::quoted(shown);
  }
  size_t count() const { return unsafe_ + over_; }

  void report(const std::string& agent, const CredentialLimits& l) const {
    if (unsafe_ > kNamedSkips) {
      ui::warning("not saving {} more credential entries of {}", unsafe_ - kNamedSkips,
                  ui::quoted(agent));
    }
    if (over_ == 0) return;
    ui::warning(
        "not saving {} {} of the login state of {} over the limits ({} a file, {} files, "
        "{} in all, {} levels): {}{}",
        over_, over_ == 1 ? "file" : "files", ui::quoted(agent),
        detail::human_size(l.max_file_bytes), l.max_files, detail::human_size(l.max_total_bytes),
        l.max_depth, names_, over_ > kNamedOverLimit ? ", ..." : "");
  }

 private:
  size_t unsafe_ = 0, over_ = 0;
  std::string names_;
};

// Writes the entries of one fetched tree beneath a staging folder, as
// `name` (a file or a folder), skipping what must not be kept.
class TreeWriter {
 public:
  TreeWriter(const std::string& rel, const CredentialLimits& limits, SaveSummary& summary,
             SkipLog& log, const std::map<std::string, std::string>& leave_out)
      : shown_("~/" + rel),
        guest_root_(guest_path(rel)),
        limits_(limits),
        summary_(summary),
        log_(log),
        leave_out_(leave_out) {}

  Status write(int staging_fd, const std::string& name, const vm::FetchedTree& tree) {
    for (const vm::GuestFile& e : tree.entries) {
      if (auto st = entry(staging_fd, name, e); !st) return st;
    }
    return ok_status();
  }

 private:
  std::string shown(const std::string& path) const { return shown_ + "/" + path; }

  bool imported_unchanged(const vm::GuestFile& e) const {
    auto it = leave_out_.find(e.path.empty() ? guest_root_ : guest_root_ + "/" + e.path);
    return it != leave_out_.end() && it->second == e.data;
  }

  // A file may sit max_depth components down; a folder holding one, one less.
  bool too_deep(size_t components, bool folder) const {
    size_t max = static_cast<size_t>(limits_.max_depth);
    return folder ? components >= max : components > max;
  }

  Status entry(int staging_fd, const std::string& name, const vm::GuestFile& e) {
    std::vector<std::string> parts;
    if (!seen_.insert(e.path).second) {
      log_.unsafe(shown(e.path), "sent twice");
    } else if (!e.path.empty() && !detail::plain_components(e.path, &parts)) {
      log_.unsafe(shown(e.path), "the path leaves the folder");
    } else if (S_ISLNK(e.mode)) {
      log_.unsafe(shown(e.path), "a symlink");
    } else if (!S_ISREG(e.mode) && !S_ISDIR(e.mode)) {
      log_.unsafe(shown(e.path), "not a regular file");
    } else if (too_deep(parts.size(), S_ISDIR(e.mode))) {
      if (S_ISREG(e.mode)) log_.over_limit(shown(e.path));
    } else if (S_ISDIR(e.mode)) {
      parts.insert(parts.begin(), name);
      auto dir = detail::make_dirs_beneath(staging_fd, parts);
      if (!dir) return dir.error();
    } else if (e.data.size() > limits_.max_file_bytes || summary_.files >= limits_.max_files ||
               summary_.bytes + e.data.size() > limits_.max_total_bytes) {
      log_.over_limit(shown(e.path));
    } else if (!imported_unchanged(e)) {
      return write_file(staging_fd, name, parts, e.data);
    }
    return ok_status();
  }

  Status write_file(int staging_fd, const std::string& name, std::vector<std::string> parts,
                    const std::string& data) {
    // The tree's root itself ("") is the file `name`; others go beneath it.
    std::string file = name;
    if (!parts.empty()) {
      file = parts.back();
      parts.pop_back();
      parts.insert(parts.begin(), name);
    }
    auto dir = detail::make_dirs_beneath(staging_fd, parts);
    if (!dir) return dir.error();
    if (auto st = detail::write_new_file(dir->get(), file, data); !st) return st;
    summary_.files += 1;
    summary_.bytes += data.size();
    return ok_status();
  }

  std::string shown_, guest_root_;
  std::set<std::string> seen_;
  const CredentialLimits& limits_;
  SaveSummary& summary_;
  SkipLog& log_;
  const std::map<std::string, std::string>& leave_out_;
};

// A staging folder beneath the agent's folder, removed with what it holds.
class Staging {
 public:
  static Result<Staging> make(const fs::path& agent_dir) {
    std::string tmpl = (agent_dir / ".staging-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("make staging folder", errno);
    Staging s;
    s.path_ = tmpl;
    s.fd_ = UniqueFd(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s.fd_) return errno_error("open staging folder", errno);
    return s;
  }
  Staging() = default;
  Staging(Staging&& o) noexcept : path_(std::exchange(o.path_, {})), fd_(std::move(o.fd_)) {}
  Staging& operator=(Staging&&) = delete;
  ~Staging() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);  // remove_all does not follow symlinks
  }
  int fd() const { return fd_.get(); }

 private:
  fs::path path_;
  UniqueFd fd_;
};

bool missing_in_guest(const vm::FetchedTree& tree) {
  return tree.entries.empty() && tree.error.find("No such file") != std::string::npos;
}

// Saves one credential path (relative to the home, no trailing slash).
Status save_path(const fs::path& agent_dir, int agent_fd, const std::string& rel,
                 const vm::FetchedTree& tree, const CredentialLimits& limits, SaveSummary& summary,
                 SkipLog& log, const std::map<std::string, std::string>& leave_out) {
  if (!tree.entries.empty() && tree.entries.front().path.empty() &&
      S_ISLNK(tree.entries.front().mode)) {
    ui::warning("not saving credentials {}: the guest made it a symlink", ui::quoted(rel));
    return ok_status();
  }
  auto staging = Staging::make(agent_dir);
  if (!staging) return staging.error();
  TreeWriter writer(rel, limits, summary, log, leave_out);
  if (auto st = writer.write(staging->fd(), "new", tree); !st) return st;
  std::vector<std::string> parts;
  detail::plain_components(rel, &parts);
  std::string last = parts.back();
  parts.pop_back();
  auto parent = detail::make_dirs_beneath(agent_fd, parts);
  if (!parent) return parent.error();
  if (::faccessat(staging->fd(), "new", F_OK, AT_SYMLINK_NOFOLLOW) != 0) return ok_status();
  return detail::swap_into_place(staging->fd(), "new", parent->get(), last);
}

// Holds an exclusive lock on the agent's folder while it is written.
Result<UniqueFd> lock_agent(int agent_fd) {
  UniqueFd lock(::openat(agent_fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) return errno_error("open lock file", errno);
  if (::flock(lock.get(), LOCK_EX) != 0) return errno_error("lock", errno);
  return lock;
}

}  // namespace

Result<SaveSummary> save_credentials(const fs::path& store_root, const std::string& agent,
                                     const std::vector<std::string>& credential_paths,
                                     const std::vector<vm::FetchedTree>& fetched,
                                     const CredentialLimits& limits,
                                     const std::map<std::string, std::string>& leave_out) {
  std::vector<std::string> parts;
  if (!detail::plain_components(agent, &parts) || parts.size() != 1 || agent.front() == '.') {
    return Error{fmt::format("save credentials: invalid agent name {}", ui::quoted(agent))};
  }
  auto root = detail::make_private_dir(store_root);
  if (!root) return root.error().wrap("save credentials");
  auto agent_fd = detail::make_dirs_beneath(root->get(), {agent});
  if (!agent_fd) return agent_fd.error().wrap("save credentials");
  auto lock = lock_agent(agent_fd->get());
  if (!lock) return lock.error().wrap("save credentials");
  SaveSummary summary;
  SkipLog log;
  for (size_t i = 0; i < credential_paths.size() && i < fetched.size(); ++i) {
    std::string rel = credential_paths[i];
    while (!rel.empty() && rel.back() == '/') rel.pop_back();
    const vm::FetchedTree& tree = fetched[i];
    if (missing_in_guest(tree)) continue;
    if (!tree.error.empty()) {
      ui::warning("keeping the saved credentials {}: the guest's copy did not come back: {}",
                  ui::quoted(rel), ui::printable(tree.error));
      continue;
    }
    Status st =
        save_path(store_root / agent, agent_fd->get(), rel, tree, limits, summary, log, leave_out);
    if (!st) return st.error().wrap("save credentials " + ui::quoted(rel));
  }
  summary.skipped = log.count();
  log.report(agent, limits);
  return summary;
}

}  // namespace bbox::guesthome
