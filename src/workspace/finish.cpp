// finish_session(): diff, review, flush, summary, and removal of the session
// once nothing is left to apply. Also list_sessions().
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/workspace/workspace.h"
#include "workspace/changes.h"
#include "workspace/flush.h"
#include "workspace/fsutil.h"
#include "workspace/patch.h"
#include "workspace/review.h"
#include "workspace/session_meta.h"

namespace bbox::workspace {
namespace fs = std::filesystem;
namespace {

struct Loaded {
  SessionMeta meta;
  Trees trees;
  Manifest manifest;
};

Result<Loaded> load(const SessionDir& s) {
  auto meta = read_meta(s.dir);
  if (!meta) return meta.error();
  if (meta->state == "snapshotting") {
    return Error{"open session '" + s.id +
                 "': its snapshot never finished; remove it with "
                 "`bbox sessions rm " +
                 s.id + "`"};
  }
  auto trees = open_trees(s, *meta);
  if (!trees) return trees.error();
  auto manifest = Manifest::load(s.dir);
  if (!manifest) return manifest.error();
  return Loaded{std::move(*meta), std::move(*trees), std::move(*manifest)};
}

// git apply refuses any path inside .git, so such changes stay out of
// patches (and in the session).
bool is_git_internal(const std::string& path) {
  return path == ".git" || path.rfind(".git/", 0) == 0;
}

Status write_output_patch(const ChangeSet& set, const Trees& trees, const fs::path& file) {
  // Safety: O_NOFOLLOW so a symlink planted at the output path is not
  // followed; the patch is created private to the user.
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno_error("write patch " + ui::quoted(file.string()), errno);
  PatchOptions po;
  po.binary_data = true;
  bool ok = true;
  Sink sink = [&](std::string_view s) { ok = ok && write_all(fd.get(), s.data(), s.size()); };
  for (const Change& c : set.changes) {
    if (is_git_internal(c.path)) continue;
    if (auto st = write_patch(c, trees, po, sink); !st) return st.error().wrap("write patch");
  }
  if (!ok || ::fsync(fd.get()) != 0)
    return errno_error("write patch " + ui::quoted(file.string()), errno);
  return ok_status();
}

char kind_letter(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAdded:
      return 'A';
    case ChangeKind::kDeleted:
      return 'D';
    case ChangeKind::kTypeChanged:
      return 'T';
    case ChangeKind::kModified:
      break;
  }
  return 'M';
}

// Lists what was applied (A added, M modified, D deleted, T type changed),
// at most kListed lines, so the user sees what reached the workspace. Names
// with control characters are warned about even past the list: an agent
// could otherwise hide one behind kListed ordinary files.
void print_applied(const std::set<std::string>& applied, const std::vector<Reviewed>& items) {
  constexpr size_t kListed = 30;
  size_t shown = 0, unlisted_odd = 0;
  std::string first_unlisted_odd;
  for (const Reviewed& r : items) {
    if (applied.count(r.change.path) == 0) continue;
    std::string name = ui::printable(r.change.path);
    bool odd = name != r.change.path;
    if (shown++ >= kListed) {
      if (odd && unlisted_odd++ == 0) first_unlisted_odd = name;
      continue;
    }
    ui::detail("{} {}", kind_letter(r.change.kind), name);
    if (odd) {
      ui::warning("applied a file whose name holds control characters: {}", ui::quoted(name));
    }
  }
  if (applied.size() > kListed) ui::detail("... and {} more", applied.size() - kListed);
  if (unlisted_odd > 0) {
    ui::warning("applied {} more file{} whose name holds control characters, first {}",
                unlisted_odd, unlisted_odd == 1 ? "" : "s", ui::quoted(first_unlisted_odd));
  }
}

void print_summary(const FlushReport& r, const std::vector<Reviewed>& items, size_t pending,
                   const std::string& id) {
  std::set<std::string> applied(r.applied.begin(), r.applied.end());
  for (const auto& [path, why] : r.skipped) {
    ui::warning("skipped {}: {}", ui::quoted(ui::printable(path)), why);
  }
  for (const auto& [path, what] : r.conflicts) {
    ui::warning("conflict on {}: {}", ui::quoted(ui::printable(path)), what);
  }
  ui::info("applied {} change{}, rejected {}, skipped {}, conflicts {}{}", applied.size(),
           applied.size() == 1 ? "" : "s", r.rejected, r.skipped.size(), r.conflicts.size(),
           pending ? fmt::format(", {} kept for `bbox review {}`", pending, id) : "");
  print_applied(applied, items);
}

void note_special_files(const std::vector<std::string>& special) {
  if (special.empty()) return;
  ui::note("left out {} special file{} the agent made (FIFO, socket or device), first {}",
           special.size(), special.size() == 1 ? "" : "s",
           ui::quoted(ui::printable(special.front())));
}

}  // namespace

Result<int> finish_session(const SessionDir& session, const FinishOptions& opts) {
  auto loaded = load(session);
  if (!loaded) return loaded.error();
  auto& [meta, trees, manifest] = *loaded;
  auto set = compute_changes(trees, manifest, meta, opts.include_ignored);
  if (!set) return set.error();
  if (set->ignored_hidden > 0) {
    ui::note("{} change{} to gitignored files not offered (--include-ignored offers them)",
             set->ignored_hidden, set->ignored_hidden == 1 ? "" : "s");
  }
  if (meta.git_worktree) ui::note("the workspace is a git worktree: .git changes are not applied");
  note_special_files(set->special_left_out);

  if (opts.output_patch) {
    if (auto st = write_output_patch(*set, trees, *opts.output_patch); !st) return st.error();
    size_t git =
        static_cast<size_t>(std::count_if(set->changes.begin(), set->changes.end(),
                                          [](const Change& c) { return is_git_internal(c.path); }));
    ui::info("wrote {} change{} to {}; the workspace is untouched", set->changes.size() - git,
             set->changes.size() - git == 1 ? "" : "s", ui::quoted(opts.output_patch->string()));
    if (git > 0) {
      ui::note("{} change{} inside .git cannot go in a patch; session {} keeps them", git,
               git == 1 ? "" : "s", ui::quoted(session.id));
      return exit_code::kOk;
    }
    if (auto st = remove_session_dir(session); !st) return st.error();
    return exit_code::kOk;
  }

  if (set->changes.empty()) {
    ui::info("no changes to apply: the workspace is as it was");
    if (auto st = remove_session_dir(session); !st) return st.error();
    return exit_code::kOk;
  }
  std::vector<Reviewed> items;
  if (opts.interactive_review) {
    auto io = terminal_io();
    items = interactive_review(*set, trees, *io);
  } else {
    items = default_review(*set, opts.yes, session.id);
  }
  meta.state = "flushing";
  if (auto st = write_meta(session.dir, meta); !st) return st.error();
  auto journal = Journal::open(session.dir);
  if (!journal) return journal.error();
  FlushReport report = flush_changes(trees, *journal, manifest, items);
  size_t pending =
      static_cast<size_t>(std::count_if(items.begin(), items.end(), [](const Reviewed& r) {
        return r.decision == Decision::kPending;
      }));
  pending += report.skipped.size() - report.settled_skips;
  print_summary(report, items, pending, session.id);
  if (pending > 0) return exit_code::kPendingReview;
  if (auto st = remove_session_dir(session); !st) return st.error();
  return report.conflicts.empty() ? exit_code::kOk : exit_code::kConflict;
}

Result<std::vector<SessionInfo>> list_sessions() {
  std::vector<SessionInfo> out;
  std::error_code ec;
  if (!fs::exists(paths::sessions_dir(), ec)) return out;
  for (const auto& e : fs::directory_iterator(paths::sessions_dir(), ec)) {
    std::string id = e.path().filename().string();
    auto meta = read_meta(e.path());
    if (!meta) continue;
    SessionInfo info{id, meta->workspace, meta->state, meta->created};
    auto s = open_session(id);
    info.in_use = !s;
    if (s) {
      auto loaded = load(*s);
      if (!loaded) {
        out.push_back(std::move(info));
        continue;
      }
      auto set = compute_changes(loaded->trees, loaded->manifest, loaded->meta, false);
      if (set) info.pending_changes = set->changes.size();
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const SessionInfo& a, const SessionInfo& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

}  // namespace bbox::workspace
