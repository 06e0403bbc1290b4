// bbox auth list, bbox auth clear [AGENT|--all]: the agents' logins bbox
// keeps between sessions (guesthome/credentials.h).
#include <ctime>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/guesthome/credentials.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

struct ClearArgs {
  std::string agent;
  bool all = false;
};

std::string when(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

void list(Context& ctx) {
  auto saved = guesthome::list_saved_credentials(guesthome::credential_store_root());
  if (!saved) {
    ctx.fail(exit_code::kError, saved.error().message);
    return;
  }
  if (saved->empty()) {
    ui::info("no saved credentials");
    return;
  }
  std::string out = fmt::format("{:<20} {:>5} {:>10}  {}\n", "AGENT", "FILES", "SIZE", "SAVED");
  for (const guesthome::SavedAgent& a : *saved) {
    out += fmt::format("{:<20} {:>5} {:>10}  {}\n", ui::printable(a.agent), a.files,
                       guesthome::size_text(a.bytes), when(a.modified));
  }
  std::fputs(out.c_str(), stdout);
}

void clear(Context& ctx, const ClearArgs& args) {
  if (args.all == !args.agent.empty()) {
    ctx.fail(exit_code::kUsage, "bbox auth clear: name one agent, or --all");
    return;
  }
  const auto root = guesthome::credential_store_root();
  std::vector<std::string> agents = {args.agent};
  if (args.all) {
    auto saved = guesthome::list_saved_credentials(root);
    if (!saved) {
      ctx.fail(exit_code::kError, saved.error().message);
      return;
    }
    agents.clear();
    for (const auto& a : *saved) agents.push_back(a.agent);
    if (agents.empty()) ui::info("no saved credentials");
  }
  for (const std::string& agent : agents) {
    if (auto st = guesthome::clear_saved_credentials(root, agent); !st) {
      ctx.fail(exit_code::kError, st.error().message);
      return;
    }
    ui::info("removed the saved credentials of {}", ui::quoted(agent));
  }
}

}  // namespace

void add_auth_command(CLI::App& app, Context& ctx) {
  auto* auth = app.add_subcommand("auth", "Agent logins kept between sessions");
  auth->require_subcommand(1);
  auto* ls = auth->add_subcommand("list", "Agents with saved credentials, their size and date");
  ls->callback([&ctx] { list(ctx); });
  auto args = std::make_shared<ClearArgs>();
  auto* rm = auth->add_subcommand("clear", "Forget the saved credentials of AGENT (or --all)");
  rm->add_option("agent", args->agent, "The agent whose login to forget")->type_name("AGENT");
  rm->add_flag("--all", args->all, "Forget every agent's saved login");
  rm->callback([&ctx, args] { clear(ctx, *args); });
}

}  // namespace bbox::cli
