// Flags and config resolved into a SessionRequest, without running it.
#include <stdlib.h>

#include <gtest/gtest.h>

#include "bbox/common/message.h"
#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

struct Built {
  std::optional<session::SessionRequest> req;
  int exit_code = 0;
  std::string messages;
};

Built build(const std::string& agent, std::vector<std::string> args,
            const config::EffectiveConfig& cfg = config::builtin_config(),
            RunKind kind = RunKind::kAgent) {
  CLI::App app;
  RunFlags flags;
  add_run_flags(&app, flags, kind);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  Context ctx;
  Built b;
  ui::set_sink_for_tests(&b.messages);
  RunTarget t{kind, {}};
  if (const config::Agent* a = cfg.find_agent(agent))
    t.agent = *a;
  else
    t.agent.name = agent;
  b.req = build_request(cfg, t, flags, app, ctx);
  ui::set_sink_for_tests(nullptr);
  b.exit_code = ctx.exit_code;
  return b;
}

TEST(BuildRequest, AgentDefaultsReachTheRequest) {
  Built b = build("claude-code", {});
  ASSERT_TRUE(b.req) << b.messages;
  EXPECT_EQ(b.req->image, "bbox-local/claude-code:latest");
  EXPECT_EQ(b.req->command, std::vector<std::string>{"claude"});
  EXPECT_EQ(b.req->cpus, 2);
  EXPECT_EQ(b.req->memory_mib, 4096u);
  EXPECT_EQ(b.req->tmp_size_mib, 2048u);
  EXPECT_EQ(b.req->egress, session::EgressProfile::kPermissive);
  EXPECT_EQ(b.req->env.at("BBOX_AGENT_NAME"), "claude-code");
}

TEST(BuildRequest, FlagsOverrideAndAgentArgsFollowTheCommand) {
  Built b = build("claude-code", {"--cpus",
                                  "4",
                                  "--memory",
                                  "2g",
                                  "--tmp-size",
                                  "512",
                                  "--egress-profile",
                                  "locked",
                                  "--allow-host",
                                  "api.x.example:8443",
                                  "--allow-host-port",
                                  "8080",
                                  "--accel",
                                  "tcg",
                                  "--exclude",
                                  "a",
                                  "--exclude",
                                  "b",
                                  "--",
                                  "-p",
                                  "fix the test"});
  ASSERT_TRUE(b.req) << b.messages;
  EXPECT_EQ(b.req->cpus, 4);
  EXPECT_EQ(b.req->memory_mib, 2048u);
  EXPECT_EQ(b.req->tmp_size_mib, 512u);
  EXPECT_EQ(b.req->command, (std::vector<std::string>{"claude", "-p", "fix the test"}));
  EXPECT_EQ(b.req->egress, session::EgressProfile::kLocked);
  ASSERT_EQ(b.req->allow_hosts.size(), 5u);
  EXPECT_EQ(b.req->allow_hosts[0].host, "api.anthropic.com");
  EXPECT_EQ(b.req->allow_hosts[4].host, "api.x.example");
  EXPECT_EQ(b.req->allow_hosts[4].port, 8443);
  EXPECT_EQ(b.req->allow_host_ports, std::vector<uint16_t>{8080});
  EXPECT_EQ(b.req->accel, session::Accel::kTcg);
  EXPECT_EQ(b.req->excludes, (std::vector<std::string>{"a", "b"}));
}

TEST(BuildRequest, StandardProfileAddsTheDevelopmentHosts) {
  Built b = build("codex", {"--egress-profile", "standard"});
  ASSERT_TRUE(b.req);
  EXPECT_EQ(b.req->allow_hosts.size(), 2u + config::standard_dev_hosts().size());
}

TEST(BuildRequest, RunImageForwardsNothingUnlessAsked) {
  ::setenv("ANTHROPIC_API_KEY", "secret", 1);
  ::setenv("BBOX_TEST_ASKED", "yes", 1);
  Built b = build("run-image", {}, config::builtin_config(), RunKind::kRunImage);
  ASSERT_TRUE(b.req);
  EXPECT_EQ(b.req->env.size(), 2u);  // BBOX_AGENT_NAME and BBOX_WORKSPACE only
  b = build("run-image", {"--env", "ANTHROPIC_API_KEY"}, config::builtin_config(),
            RunKind::kRunImage);
  ASSERT_TRUE(b.req);
  EXPECT_EQ(b.req->env.at("ANTHROPIC_API_KEY"), "secret");
  EXPECT_EQ(b.req->env.count("BBOX_TEST_ASKED"), 0u);
  ::unsetenv("ANTHROPIC_API_KEY");
  ::unsetenv("BBOX_TEST_ASKED");
}

TEST(BuildRequest, LockedWithoutHostsIsAUsageError) {
  Built b = build("run-image", {"--egress-profile", "locked"}, config::builtin_config(),
                  RunKind::kRunImage);
  EXPECT_FALSE(b.req);
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.messages.find("--allow-host"), std::string::npos) << b.messages;
}

TEST(BuildRequest, OversizedMemoryNamesTheLimit) {
  Built b = build("codex", {"--memory", "200g"});
  EXPECT_FALSE(b.req);
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_EQ(b.messages,
            "bbox: error: invalid value for --memory: '200g' is more than the limit "
            "of 128g\n");
}

}  // namespace
}  // namespace bbox::cli
