// bbox sessions, bbox sessions rm SESSION, bbox review SESSION: sessions
// whose changes are not yet applied, and resuming their review and flush.
#include <ctime>
#include <memory>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/workspace/workspace.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

struct ReviewArgs {
  std::string id;
  bool review = false;
  bool yes = false;
  bool include_ignored = false;
  std::string output_patch;
};

std::string age(int64_t created) {
  int64_t s = static_cast<int64_t>(std::time(nullptr)) - created;
  if (s < 120) return fmt::format("{}s ago", s);
  if (s < 7200) return fmt::format("{}m ago", s / 60);
  if (s < 172800) return fmt::format("{}h ago", s / 3600);
  return fmt::format("{}d ago", s / 86400);
}

void list(Context& ctx) {
  auto sessions = workspace::list_sessions();
  if (!sessions) {
    ui::error("{}", sessions.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  if (sessions->empty()) {
    ui::info("no sessions with changes waiting");
    return;
  }
  std::string out =
      fmt::format("{:<28} {:>7} {:<10} {}\n", "SESSION", "CHANGES", "AGE", "WORKSPACE");
  for (const auto& s : *sessions) {
    std::string changes = s.in_use ? "in use" : std::to_string(s.pending_changes);
    out += fmt::format("{:<28} {:>7} {:<10} {}\n", s.id, changes, age(s.created),
                       ui::printable(s.workspace.string()));
  }
  std::fputs(out.c_str(), stdout);
}

void remove(Context& ctx, const std::string& id) {
  if (auto st = workspace::remove_session(id); !st) {
    ui::error("{}", st.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  ui::info("removed session {}; its changes were discarded", ui::quoted(id));
}

void review(Context& ctx, const ReviewArgs& a) {
  auto session = workspace::open_session(a.id);
  if (!session) {
    ui::error("{}", session.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  workspace::FinishOptions opts;
  opts.interactive_review = a.review;
  opts.yes = a.yes;
  opts.include_ignored = a.include_ignored;
  if (!a.output_patch.empty()) opts.output_patch = a.output_patch;
  auto rc = workspace::finish_session(*session, opts);
  if (!rc) {
    ui::error("{}", rc.error().message);
    ctx.exit_code = exit_code::kError;
    return;
  }
  ctx.exit_code = *rc;
}

}  // namespace

void add_sessions_commands(CLI::App& app, Context& ctx) {
  auto* sessions = app.add_subcommand("sessions", "List sessions with changes not yet applied");
  auto rm_id = std::make_shared<std::string>();
  auto* rm = sessions->add_subcommand("rm", "Discard a session and its unapplied changes");
  rm->add_option("SESSION", *rm_id, "Session name (from `bbox sessions`)")->required();
  rm->callback([&ctx, rm_id] { remove(ctx, *rm_id); });
  sessions->callback([&ctx, sessions, rm] {
    if (sessions->got_subcommand(rm)) return;
    list(ctx);
  });

  auto args = std::make_shared<ReviewArgs>();
  auto* rev = app.add_subcommand("review", "Resume review and flush of a session");
  rev->add_option("SESSION", args->id, "Session name (from `bbox sessions`)")->required();
  rev->add_flag("--review", args->review, "Review each change (and hunk) interactively");
  rev->add_flag("--yes,-y", args->yes, "Also apply changes the default policy holds back");
  rev->add_flag("--include-ignored", args->include_ignored, "Offer gitignored files too");
  rev->add_option("--output-patch", args->output_patch,
                  "Write all changes as one git patch and leave the workspace untouched");
  rev->callback([&ctx, args] { review(ctx, *args); });
}

}  // namespace bbox::cli
