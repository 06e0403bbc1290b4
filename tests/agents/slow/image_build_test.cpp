// Real local builds: mmdebstrap from the host's Debian mirror, npm packages
// from the npm registry. They share one build cache under the build tree
// (BBOX_BINARY_DIR/agents-cache) so that repeated runs reuse the images.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "agents/test_util.h"
#include "bbox/image/build.h"
#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

class AgentImageBuild : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("XDG_CACHE_HOME", test_cache_dir().c_str(), 1); }
  OciLayout layout() { return *OciLayout::open(build_layout_dir()); }
  nlohmann::json labels(const std::string& name) {
    return (*read_image_config(layout(), name))["config"]["Labels"];
  }

 public:
  fs::path top_layer_of(const std::string& name) { return top_layer(name); }

 protected:
  fs::path top_layer(const std::string& name) {
    return layout().blob_path(read_image_layers(layout(), name)->back().digest);
  }
};

TEST_F(AgentImageBuild, BaseIsDebianWithTheToolsAndTheSandboxUserAndIsReused) {
  auto ref = build_agent_image("base");
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_EQ(*ref, "oci:" + build_layout_dir().string() + ":base");
  std::string first = layout().find("base")->digest;

  auto l = labels("base");
  EXPECT_EQ(l["dev.bbox.debian.suite"], "bookworm");
  std::string pkgs = l["dev.bbox.debian.packages"];
  for (const char* p : {"bash=", "git=", "curl=", "ca-certificates=", "ripgrep=", "jq=", "less=",
                        "procps=", "openssh-client=", "python3=", "make=", "gcc="}) {
    EXPECT_NE(pkgs.find(std::string(" ") + p), std::string::npos) << p;
  }

  std::map<std::string, Member> files;
  for (auto& m : read_tar(top_layer("base"), 4096)) files[m.path] = m;
  ASSERT_EQ(files.count("./usr/bin/rg"), 1u);
  EXPECT_EQ(files["./usr/bin/env"].uid, 0);
  EXPECT_EQ(files["./home/sandbox/"].uid, 1000);
  EXPECT_EQ(files["./home/sandbox/"].gid, 1000);
  EXPECT_NE(files["./etc/passwd"].content_or_target.find(
                "\nsandbox:x:1000:1000::/home/sandbox:/bin/bash\n"),
            std::string::npos);

  // Second build: same recipe, so mmdebstrap does not run (its log is not
  // even created) and the tag still names the same image.
  fs::path log = test_cache_dir() / "broodbox/build/logs/base.log";
  ASSERT_TRUE(build_agent_image("base").ok());
  EXPECT_FALSE(fs::exists(log));
  EXPECT_EQ(layout().find("base")->digest, first);
}

TEST_F(AgentImageBuild, ClaudeCodeLayerHoldsTheNativeBinaryFromNpm) {
  auto ref = build_agent_image("claude-code");
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  std::string first = layout().find("claude-code")->digest;

  auto layers = read_image_layers(layout(), "claude-code");
  ASSERT_EQ(layers->size(), 2u);
  EXPECT_EQ((*layers)[0].digest, read_image_layers(layout(), "base")->at(0).digest);
  auto l = labels("claude-code");
  std::string native = l["dev.bbox.npm.@anthropic-ai/claude-code-linux-x64"];
  EXPECT_EQ(native.rfind(std::string(l["org.opencontainers.image.version"]) + " sha512-", 0), 0u)
      << native;

  std::map<std::string, Member> files;
  for (auto& m : read_tar(top_layer("claude-code"), 4)) files[m.path] = m;
  ASSERT_EQ(files.count("usr/local/bin/claude"), 1u);
  const Member& claude = files["usr/local/bin/claude"];
  EXPECT_EQ(claude.mode, 0755u);
  EXPECT_EQ(claude.uid, 0);
  EXPECT_GT(claude.size, 50 << 20);
  EXPECT_EQ(claude.content_or_target,
            "\x7f"
            "ELF");

  auto cfg = *read_image_config(layout(), "claude-code");
  auto env = cfg["config"]["Env"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(env.begin(), env.end(), "IS_SANDBOX=1"), env.end());

  ASSERT_TRUE(build_agent_image("claude-code").ok());
  EXPECT_EQ(layout().find("claude-code")->digest, first);
}

// The other agents: each layer holds the agent's entry point where PATH finds
// it, owned by root and executable.
void expect_entry_point(AgentImageBuild& t, const std::string& name,
                        const std::map<std::string, std::string>& want) {
  auto ref = build_agent_image(name);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  std::map<std::string, Member> files;
  for (auto& m : read_tar(t.top_layer_of(name), 4)) files[m.path] = m;
  for (const auto& [path, what] : want) {
    ASSERT_EQ(files.count(path), 1u) << name << ": " << path;
    const Member& m = files[path];
    EXPECT_EQ(m.uid, 0) << path;
    if (what == "elf") {
      EXPECT_EQ(m.mode, 0755u) << path;
      EXPECT_EQ(m.content_or_target,
                "\x7f"
                "ELF")
          << path;
    } else {
      EXPECT_EQ(m.type, AE_IFLNK) << path;
      EXPECT_EQ(m.content_or_target, what) << path;
    }
  }
}

TEST_F(AgentImageBuild, CodexLayerHoldsTheMuslBinaryAndItsHelpers) {
  expect_entry_point(*this, "codex",
                     {{"usr/local/bin/codex", "../lib/codex/bin/codex"},
                      {"usr/local/lib/codex/bin/codex", "elf"},
                      {"usr/local/lib/codex/bin/codex-code-mode-host", "elf"}});
}

TEST_F(AgentImageBuild, OpencodeLayerHoldsItsNativeBinary) {
  expect_entry_point(*this, "opencode", {{"usr/local/bin/opencode", "elf"}});
}

TEST_F(AgentImageBuild, GeminiLayerHoldsNodeAndTheBundledCli) {
  expect_entry_point(
      *this, "gemini",
      {{"usr/local/bin/node", "elf"},
       {"usr/local/bin/gemini", "../lib/node_modules/@google/gemini-cli/bundle/gemini.js"}});
  std::map<std::string, Member> files;
  for (auto& m : read_tar(top_layer_of("gemini"), 64)) files[m.path] = m;
  const Member& bundle = files["usr/local/lib/node_modules/@google/gemini-cli/bundle/gemini.js"];
  EXPECT_EQ(bundle.content_or_target.rfind("#!/usr/bin/env node", 0), 0u);
}

TEST_F(AgentImageBuild, HermesFailsNamingPyPIBeforeBuildingAnything) {
  auto ref = build_agent_image("hermes");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().message.rfind("build 'hermes': fetch 'hermes-agent' from PyPI: ", 0), 0u)
      << ref.error().message;
  EXPECT_FALSE(layout().find("hermes").has_value());
}

TEST(AgentImageNames, AnUnknownNameListsTheKnownOnes) {
  auto ref = build_agent_image("vim");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().message,
            "build image 'vim': no such image (known: base, claude-code, codex, opencode, "
            "gemini, hermes)");
}

}  // namespace
}  // namespace bbox::image::build
