// From effective config, target and flags to a SessionRequest. Flags win over
// config (Source::kFlag); every flag value is checked here, and a bad one is
// a usage error (exit 2) naming the flag and what it accepts.
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/config/parse.h"
#include "bbox/log/log.h"
#include "cli/guest_home.h"
#include "cli/run_flags.h"

extern char** environ;

namespace bbox::cli {
namespace {

using config::Source;
using session::SessionRequest;

bool given(const CLI::App& cmd, const std::string& flag) { return cmd.count(flag) > 0; }

// Parses a flag's value; on error records a usage error naming the flag.
template <typename T>
bool parse_flag(Context& ctx, const std::string& flag, Result<T> parsed, T& into) {
  if (!parsed) {
    ctx.fail(exit_code::kUsage,
             fmt::format("invalid value for {}: {}", flag, parsed.error().message));
    return false;
  }
  into = std::move(*parsed);
  return true;
}

bool apply_resources(config::Agent& a, const RunFlags& f, const CLI::App& cmd, Context& ctx) {
  auto size = [&](const std::string& flag, const std::string& text, uint64_t max,
                  config::Sourced<uint64_t>& into) {
    if (!given(cmd, flag)) return true;
    uint64_t mib = 0;
    if (!parse_flag(ctx, flag, config::parse_size_mib(text), mib)) return false;
    if (mib > max) {
      ctx.fail(exit_code::kUsage,
               fmt::format("invalid value for {}: {} is more than the limit "
                           "of {}",
                           flag, ui::quoted(text), config::format_size_mib(max)));
      return false;
    }
    into.set(mib, Source::kFlag);
    return true;
  };
  if (given(cmd, "--cpus")) {
    int cpus = 0;
    if (!parse_flag(ctx, "--cpus", config::parse_cpus(f.cpus), cpus)) return false;
    a.cpus.set(cpus, Source::kFlag);
  }
  return size("--memory", f.memory, config::kMaxMemoryMib, a.memory_mib) &&
         size("--tmp-size", f.tmp_size, config::kMaxTmpSizeMib, a.tmp_size_mib);
}

Result<session::Accel> parse_accel(const std::string& s) {
  if (s == "auto") return session::Accel::kAuto;
  if (s == "kvm") return session::Accel::kKvm;
  if (s == "tcg") return session::Accel::kTcg;
  return Error{fmt::format("{}: expected auto, kvm or tcg", ui::quoted(s))};
}

bool apply_egress(const config::EffectiveConfig& cfg, config::Agent& a, const RunFlags& f,
                  const CLI::App& cmd, Context& ctx, SessionRequest& req) {
  if (given(cmd, "--egress-profile")) {
    session::EgressProfile p{};
    if (!parse_flag(ctx, "--egress-profile", config::parse_egress_profile(f.egress_profile), p)) {
      return false;
    }
    a.egress_profile.set(p, Source::kFlag);
  }
  req.egress = a.egress_profile.value;
  if (req.egress != session::EgressProfile::kPermissive) {
    auto hosts = a.egress_hosts.value.find(req.egress);
    if (hosts != a.egress_hosts.value.end()) req.allow_hosts = hosts->second;
  }
  for (const session::AllowedHost& h : config::expand_hosts(cfg.allow_hosts.value)) {
    req.allow_hosts.push_back(h);
  }
  for (const session::AllowedHost& h : a.allow_hosts.value) req.allow_hosts.push_back(h);
  for (const std::string& text : f.allow_hosts) {
    session::AllowedHost h;
    if (!parse_flag(ctx, "--allow-host", config::parse_allow_host(text), h)) return false;
    req.allow_hosts.push_back(h);
  }
  for (const std::string& text : f.allow_host_ports) {
    uint16_t port = 0;
    if (!parse_flag(ctx, "--allow-host-port", config::parse_port(text), port)) return false;
    req.allow_host_ports.push_back(port);
  }
  if (req.egress == session::EgressProfile::kLocked && req.allow_hosts.empty()) {
    ctx.fail(exit_code::kUsage, fmt::format("egress profile 'locked' allows no host for {}: add "
                                            "--allow-host HOST or choose --egress-profile "
                                            "standard or permissive",
                                            ui::quoted(a.name)));
    return false;
  }
  return true;
}

bool apply_workspace_flags(const config::EffectiveConfig& cfg, const RunFlags& f,
                           const CLI::App& cmd, Context& ctx, SessionRequest& req) {
  req.workspace_mode = cfg.workspace_mode.value;
  if (given(cmd, "--workspace-mode") &&
      !parse_flag(ctx, "--workspace-mode", config::parse_workspace_mode(f.workspace_mode),
                  req.workspace_mode)) {
    return false;
  }
  req.interactive_review = cfg.review_enabled.value || f.review;
  req.yes = f.yes;
  req.excludes = cfg.exclude_patterns.value;
  req.excludes.insert(req.excludes.end(), f.excludes.begin(), f.excludes.end());
  req.pull = cfg.pull.value;
  if (given(cmd, "--pull") &&
      !parse_flag(ctx, "--pull", config::parse_pull_policy(f.pull), req.pull)) {
    return false;
  }
  if (given(cmd, "--accel") && !parse_flag(ctx, "--accel", parse_accel(f.accel), req.accel)) {
    return false;
  }
  if (given(cmd, "--kernel")) req.kernel = std::filesystem::absolute(f.kernel);
  if (given(cmd, "--output-patch")) req.output_patch = std::filesystem::absolute(f.output_patch);
  req.timings = f.timings;
  req.trace = f.trace;
  req.verbose = ctx.verbose;
  return true;
}

bool apply_env(const RunTarget& t, const RunFlags& f, Context& ctx, SessionRequest& req) {
  EnvPlan plan;
  plan.agent_name = t.agent.name;
  plan.patterns = t.agent.env_forward.value;
  plan.defaults = t.agent.default_env.value;
  plan.required = t.agent.env_required.value;
  for (const auto* list : {&f.env_forward, &f.env}) {
    for (const std::string& p : *list) {
      const char* flag = list == &f.env ? "--env" : "--env-forward";
      if (Status s = config::validate_env_pattern(p); !s) {
        ctx.fail(exit_code::kUsage,
                 fmt::format("invalid value for {}: {}", flag, s.error().message));
        return false;
      }
      plan.patterns.push_back(p);
    }
  }
  Result<std::map<std::string, std::string>> env = resolve_env(plan, environ);
  if (!env) {
    ctx.fail(exit_code::kError, env.error().message);
    return false;
  }
  req.env = std::move(*env);
  std::string names;
  for (const auto& kv : req.env) names += (names.empty() ? "" : " ") + kv.first;
  spdlog::debug("forwarding variables (names only): {}", names);
  return true;
}

}  // namespace

std::optional<session::SessionRequest> build_request(const config::EffectiveConfig& cfg,
                                                     RunTarget t, const RunFlags& f,
                                                     const CLI::App& cmd, Context& ctx) {
  SessionRequest req;
  req.agent = t.agent.name;
  if (!apply_resources(t.agent, f, cmd, ctx)) return std::nullopt;
  if (given(cmd, "--image")) {
    if (f.image.empty()) {
      ctx.fail(exit_code::kUsage, "invalid value for --image: expected an image reference");
      return std::nullopt;
    }
    t.agent.image.set(f.image, Source::kFlag);
  }
  req.image = t.agent.image.value;
  req.command = t.agent.command.value;
  req.command.insert(req.command.end(), f.args.begin(), f.args.end());
  req.tty = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
  req.cpus = t.agent.cpus.value;
  req.memory_mib = t.agent.memory_mib.value;
  req.tmp_size_mib = t.agent.tmp_size_mib.value;
  if (!apply_egress(cfg, t.agent, f, cmd, ctx, req)) return std::nullopt;
  if (!apply_workspace_flags(cfg, f, cmd, ctx, req)) return std::nullopt;
  if (!apply_env(t, f, ctx, req)) return std::nullopt;
  apply_guest_home(cfg, t, f, req);
  return req;
}

}  // namespace bbox::cli
