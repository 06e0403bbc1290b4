#include <gtest/gtest.h>

#include "cli/run_flags.h"

namespace bbox::cli {
namespace {

TEST(ResolveEnv, ForwardsMatchingVariablesOnly) {
  const char* host[] = {"ANTHROPIC_API_KEY=k", "CLAUDE_CODE_X=1", "CLAUDE=no",
                        "GITHUB_TOKEN=t",      "PATH=/bin",       nullptr};
  EnvPlan plan{{"ANTHROPIC_API_KEY", "CLAUDE_*"}, {}, {}, "claude-code"};
  auto env = resolve_env(plan, host);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::map<std::string, std::string>{{"ANTHROPIC_API_KEY", "k"},
                                                      {"CLAUDE_CODE_X", "1"},
                                                      {"BBOX_AGENT_NAME", "claude-code"},
                                                      {"BBOX_WORKSPACE", "/workspace"}}));
}

TEST(ResolveEnv, HostCannotOverrideBboxVariables) {
  const char* host[] = {"BBOX_AGENT_NAME=evil", "BBOX_WORKSPACE=/etc", "BBOX_X=1", nullptr};
  EnvPlan plan{{"BBOX_*", "BBOX_AGENT_NAME"}, {{"BBOX_WORKSPACE", "/x"}}, {}, "codex"};
  auto env = resolve_env(plan, host);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("BBOX_AGENT_NAME"), "codex");
  EXPECT_EQ(env->at("BBOX_WORKSPACE"), "/workspace");
  EXPECT_EQ(env->count("BBOX_X"), 0u);
}

TEST(ResolveEnv, ForwardedValuesOverrideDefaults) {
  const char* host[] = {"MODEL=host", nullptr};
  EnvPlan plan{{"MODEL"}, {{"MODEL", "default"}, {"OTHER", "d"}}, {}, "mine"};
  auto env = resolve_env(plan, host);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("MODEL"), "host");
  EXPECT_EQ(env->at("OTHER"), "d");
}

TEST(ResolveEnv, MissingRequiredVariableIsAnErrorWithoutValues) {
  const char* host[] = {"A=secret-value", nullptr};
  EnvPlan plan{{"A"}, {}, {"A", "B"}, "mine"};
  auto env = resolve_env(plan, host);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().message, "agent 'mine' requires 'B' on the host, and it is not set");
}

}  // namespace
}  // namespace bbox::cli
