// The proof of issue 7: the real Claude Code binary, inside a bbox VM, edits a
// real repository, driven by the scripted Messages API server on the host's
// loopback, reached through --allow-host-port.
//
// The repository is the `ms` npm package's published source (a real
// third-party package), unpacked and committed. The image comes from the
// local build (bbox image build claude-code), cached under the build tree.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "agents/scripted_server.h"
#include "agents/slow/proof_util.h"
#include "bbox/image/build.h"
#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;
using proof::git;
using proof::kBbox;
using proof::make_repository;
using proof::run_in;

using proof::expect_only_the_edit;
using proof::kNew;
using proof::kOld;
using proof::kPrompt;

class ClaudeCodeProof : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = test_cache_dir();
    data_ = fs::path(BBOX_BINARY_DIR) / "agents-data";
    ::setenv("XDG_CACHE_HOME", cache_.c_str(), 1);
    ASSERT_TRUE(fs::exists(kBbox)) << kBbox << " is not built";
    ASSERT_TRUE(fs::exists(fs::path(BBOX_BINARY_DIR) / "guest" / "bbox-init"));
    auto ref = ensure_agent_image("claude-code");
    if (!ref) GTEST_SKIP() << "the claude-code image cannot be built here: " << ref.error().message;
  }
  std::vector<std::string> env(int port) const {
    return {"XDG_CACHE_HOME=" + cache_.string(),
            "XDG_DATA_HOME=" + data_.string(),
            "XDG_CONFIG_HOME=" + (dir_.path() / "config").string(),
            "ANTHROPIC_API_KEY=test",
            "ANTHROPIC_BASE_URL=http://host.bbox.internal:" + std::to_string(port),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
            "BBOX_INIT=" + (fs::path(BBOX_BINARY_DIR) / "guest" / "bbox-init").string()};
  }
  fs::path cache_, data_;
  TestDir dir_;
};

TEST_F(ClaudeCodeProof, PrintsItsVersionFromInsideTheVm) {
  fs::create_directories(dir_.path() / "empty");
  int rc = run_in(dir_.path() / "empty", {kBbox.string(), "claude-code", "--", "--version"}, env(1),
                  dir_.path() / "out.txt");
  std::string out = read_text(dir_.path() / "out.txt");
  ASSERT_EQ(rc, 0) << out;
  auto cfg = read_image_config(*OciLayout::open(build_layout_dir()), "claude-code");
  std::string version = (*cfg)["config"]["Labels"]["org.opencontainers.image.version"];
  EXPECT_NE(out.find(version + " (Claude Code)"), std::string::npos) << out;
}

TEST_F(ClaudeCodeProof, EditsARealRepositoryThroughTheScriptedApi) {
  fs::path repo = make_repository(dir_.path());
  std::string before = read_text(repo / "index.js");
  ASSERT_NE(before.find(kOld), std::string::npos);
  json script{
      {"turns",
       {{{"tool_use",
          {{"name", "Edit"},
           {"input",
            {{"file_path", "/workspace/index.js"}, {"old_string", kOld}, {"new_string", kNew}}}}}},
        {{"text", "Documented the minute constant."}}}}};
  fs::create_directories(dir_.path() / "server");
  ScriptedServer server(dir_.path() / "server", script);
  ASSERT_GT(server.port(), 0);

  int rc = run_in(repo,
                  {kBbox.string(), "claude-code", "--allow-host-port",
                   std::to_string(server.port()), "--env-forward", "ANTHROPIC_BASE_URL", "--", "-p",
                   kPrompt, "--dangerously-skip-permissions"},
                  env(server.port()), dir_.path() / "out.txt");
  std::string out = read_text(dir_.path() / "out.txt");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Documented the minute constant."), std::string::npos) << out;

  // The repository holds the edit, and nothing else changed.
  expect_only_the_edit(repo, before);

  // The server saw exactly the two agent turns: the prompt, then the Edit's
  // successful result.
  json rec = server.record();
  ASSERT_EQ(rec["requests"].size(), 2u) << rec.dump(1).substr(0, 4000);
  for (int i = 0; i < 2; ++i) {
    const json& r = rec["requests"][i];
    EXPECT_EQ(r["method"], "POST");
    EXPECT_EQ(r["path"], "/v1/messages?beta=true");
    EXPECT_EQ(r["turn"], i);
    EXPECT_EQ(r["headers"]["x-api-key"], "test");
    EXPECT_EQ(r["body"]["stream"], true);
  }
  const json& first = rec["requests"][0]["body"]["messages"];
  EXPECT_EQ(first[0]["role"], "user");
  EXPECT_EQ(first[0]["content"].back()["text"], kPrompt);

  json results = json::array();
  for (const auto& m : rec["requests"][1]["body"]["messages"]) {
    if (m["role"] != "user" || !m["content"].is_array()) continue;
    for (const auto& c : m["content"]) {
      if (c.value("type", "") == "tool_result") results.push_back(c);
    }
  }
  ASSERT_EQ(results.size(), 1u) << rec["requests"][1]["body"]["messages"].dump(1);
  EXPECT_EQ(results[0]["tool_use_id"], "toolu_scripted_00");
  EXPECT_EQ(results[0]["content"], "The file /workspace/index.js has been updated successfully.");
  EXPECT_FALSE(results[0].value("is_error", false));
}

}  // namespace
}  // namespace bbox::image::build
