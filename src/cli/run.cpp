// Running a session command: workspace, config, flags not built yet, then
// bbox::session::run_session.
#include <sys/stat.h>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/config/parse.h"
#include "bbox/log/log.h"
#include "bbox/session/session.h"
#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

// Flags bbox accepts for Brood Box users but whose machinery is not built
// yet. Each only turns something off or tunes a feature that does not run,
// so nothing is weakened: say so once and carry on.
bool warn_not_built(const RunFlags& f, const CLI::App& cmd, Context& ctx) {
  if (cmd.count("--mcp-authz-profile") > 0) {
    const std::string& p = f.mcp_authz_profile;
    if (p != "full-access" && p != "observe" && p != "safe-tools" && p != "custom") {
      ctx.fail(exit_code::kUsage, fmt::format("invalid value for --mcp-authz-profile: {}: "
                                              "expected full-access, observe, safe-tools or "
                                              "custom",
                                              ui::quoted(p)));
      return false;
    }
  }
  std::string mcp_flags;
  for (const char* flag : {"--no-mcp", "--mcp-group", "--mcp-authz-profile", "--mcp-config"}) {
    if (cmd.count(flag) > 0) mcp_flags += (mcp_flags.empty() ? "" : ", ") + std::string(flag);
  }
  if (!mcp_flags.empty()) {
    ui::warning(
        "MCP servers are not yet available in this build (none are offered to the "
        "guest): {} has no effect",
        mcp_flags);
  }
  return true;
}

}  // namespace

RunTarget plain_target(RunKind kind, const std::string& name,
                       const config::EffectiveConfig& cfg) {
  RunTarget t{kind, {}};
  config::Agent& a = t.agent;
  a.name = name;
  a.cpus = cfg.cpus;
  a.memory_mib = cfg.memory_mib;
  a.tmp_size_mib = cfg.tmp_size_mib;
  a.egress_profile.value = cfg.egress_profile.value.value_or(session::EgressProfile::kPermissive);
  a.egress_hosts.value = {{session::EgressProfile::kStandard, config::standard_dev_hosts()},
                          {session::EgressProfile::kLocked, {}}};
  return t;
}

std::optional<std::filesystem::path> resolve_workspace(const RunFlags& flags, Context& ctx) {
  std::error_code ec;
  std::filesystem::path dir = flags.workspace.empty() ? std::filesystem::current_path(ec)
                                                      : std::filesystem::path(flags.workspace);
  if (ec) {
    ctx.fail(exit_code::kError, "find the current directory: " + ec.message());
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    ctx.fail(flags.workspace.empty() ? exit_code::kError : exit_code::kUsage,
             fmt::format("invalid value for --workspace: {}: expected an existing directory",
                         ui::quoted(dir.string())));
    return std::nullopt;
  }
  return std::filesystem::absolute(dir).lexically_normal();
}

void run_command(
    const RunFlags& flags, const CLI::App& cmd, Context& ctx,
    const std::function<std::optional<RunTarget>(const config::EffectiveConfig&)>& make_target) {
  log::init(log::Options{ctx.verbose, flags.trace});
  std::optional<std::filesystem::path> ws = resolve_workspace(flags, ctx);
  if (!ws) return;
  std::optional<config::EffectiveConfig> cfg = ctx.load(*ws);
  if (!cfg) return;
  config::report_notices(*cfg);
  std::optional<RunTarget> target = make_target(*cfg);
  if (!target) return;
  if (!warn_not_built(flags, cmd, ctx)) return;
  std::optional<session::SessionRequest> req = build_request(*cfg, *target, flags, cmd, ctx);
  if (!req) return;
  req->workspace = *ws;
  Result<int> rc = session::run_session(*req);
  if (!rc) {
    ctx.fail(exit_code::kError, rc.error().message);
    return;
  }
  ctx.exit_code = *rc;
}

}  // namespace bbox::cli
