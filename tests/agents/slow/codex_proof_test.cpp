// The second agent proof of issue 7: the real Codex CLI (@openai/codex from
// npm), inside a bbox VM, edits a real repository, driven by the scripted
// Responses API server (tests/fixtures/responses_api_server.py) on the host's
// loopback, reached through --allow-host-port.
//
// What Codex sends was read from its requests, not assumed: Codex 0.171 offers
// its tools in an "additional_tools" input item, and its only top-level tool
// is `exec`, a free-form (custom) tool whose input is JavaScript run by its
// code-mode host; file edits go through `tools.apply_patch(PATCH)` inside that
// script. Its built-in OpenAI provider insists on WebSockets and on
// api.openai.com, so the test declares a model provider with `-c` (Codex's
// documented config overrides) whose base_url is the scripted server.
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

// The `exec` script the scripted model sends: one apply_patch of index.js.
std::string patch_script() {
  std::string patch = std::string("*** Begin Patch\n*** Update File: index.js\n@@\n-") + kOld +
                      "\n+" + kNew + "\n*** End Patch\n";
  return "const r = await tools.apply_patch(" + json(patch).dump() + ");\ntext(r);\n";
}

class CodexProof : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = test_cache_dir();
    data_ = fs::path(BBOX_BINARY_DIR) / "agents-data";
    ::setenv("XDG_CACHE_HOME", cache_.c_str(), 1);
    ASSERT_TRUE(fs::exists(kBbox)) << kBbox << " is not built";
    ASSERT_TRUE(fs::exists(proof::kBboxInit)) << proof::kBboxInit << " is not built";
    auto ref = ensure_agent_image("codex");
    if (!ref) GTEST_SKIP() << "the codex image cannot be built here: " << ref.error().message;
  }
  std::vector<std::string> env() const {
    return {"XDG_CACHE_HOME=" + cache_.string(), "XDG_DATA_HOME=" + data_.string(),
            "XDG_CONFIG_HOME=" + (dir_.path() / "config").string(), "OPENAI_API_KEY=test",
            "BBOX_INIT=" + proof::kBboxInit.string()};
  }
  // `codex exec` headless, without approvals or Codex's own sandbox (the VM
  // is the sandbox), against the scripted provider.
  static std::vector<std::string> codex_exec(int port) {
    std::string url = "http://host.bbox.internal:" + std::to_string(port) + "/v1";
    return {kBbox.string(),
            "codex",
            "--allow-host-port",
            std::to_string(port),
            "--",
            "exec",
            "--dangerously-bypass-approvals-and-sandbox",
            "-c",
            "model_provider=scripted",
            "-c",
            "model_providers.scripted.name=scripted",
            "-c",
            "model_providers.scripted.base_url=" + url,
            "-c",
            "model_providers.scripted.env_key=OPENAI_API_KEY",
            "-c",
            "model_providers.scripted.wire_api=responses",
            kPrompt};
  }
  fs::path cache_, data_;
  TestDir dir_;
};

TEST_F(CodexProof, PrintsItsVersionFromInsideTheVm) {
  fs::create_directories(dir_.path() / "empty");
  int rc = run_in(dir_.path() / "empty", {kBbox.string(), "codex", "--", "--version"}, env(),
                  dir_.path() / "out.txt");
  std::string out = read_text(dir_.path() / "out.txt");
  ASSERT_EQ(rc, 0) << out;
  auto cfg = read_image_config(*OciLayout::open(build_layout_dir()), "codex");
  std::string version = (*cfg)["config"]["Labels"]["org.opencontainers.image.version"];
  EXPECT_NE(out.find("codex-cli " + version + "\n"), std::string::npos) << out;
}

// The items of the input that are not instructions: the user's prompt and
// what followed it.
json conversation(const json& request) {
  json out = json::array();
  for (const auto& item : request["body"]["input"]) {
    if (item.value("type", "") == "additional_tools") continue;
    if (item.value("role", "") == "developer") continue;
    out.push_back(item);
  }
  return out;
}

TEST_F(CodexProof, EditsARealRepositoryThroughTheScriptedApi) {
  fs::path repo = make_repository(dir_.path());
  std::string before = read_text(repo / "index.js");
  ASSERT_NE(before.find(kOld), std::string::npos);
  json script{{"turns",
               {{{"custom_tool_call", {{"name", "exec"}, {"input", patch_script()}}}},
                {{"text", "Documented the minute constant."}}}}};
  fs::create_directories(dir_.path() / "server");
  ScriptedServer server(dir_.path() / "server", script, ScriptedServer::kResponsesApi);
  ASSERT_GT(server.port(), 0);

  int rc = run_in(repo, codex_exec(server.port()), env(), dir_.path() / "out.txt");
  std::string out = read_text(dir_.path() / "out.txt");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Documented the minute constant."), std::string::npos) << out;

  // The repository holds the edit, and nothing else changed.
  expect_only_the_edit(repo, before);

  // The server saw exactly the two agent turns, streamed, with the key the
  // host forwarded: the prompt, then the prompt, the call and its output.
  json rec = server.record();
  ASSERT_EQ(rec["requests"].size(), 2u) << rec.dump(1).substr(0, 4000);
  for (int i = 0; i < 2; ++i) {
    const json& r = rec["requests"][i];
    EXPECT_EQ(r["method"], "POST");
    EXPECT_EQ(r["path"], "/v1/responses");
    EXPECT_EQ(r["turn"], i);
    EXPECT_EQ(r["headers"]["authorization"], "Bearer test");
    EXPECT_EQ(r["body"]["stream"], true);
  }
  json first = conversation(rec["requests"][0]);
  ASSERT_GE(first.size(), 1u);
  EXPECT_EQ(first.back()["role"], "user");
  EXPECT_EQ(first.back()["content"],
            json::parse(R"([{"type":"input_text","text":")" + std::string(kPrompt) + R"("}])"));

  json second = conversation(rec["requests"][1]);
  ASSERT_EQ(second.size(), first.size() + 2) << second.dump(1);
  const json& call = second[first.size()];
  EXPECT_EQ(call["type"], "custom_tool_call");
  EXPECT_EQ(call["call_id"], "call_scripted_00");
  EXPECT_EQ(call["input"], patch_script());
  const json& result = second[first.size() + 1];
  EXPECT_EQ(result["type"], "custom_tool_call_output");
  EXPECT_EQ(result["call_id"], "call_scripted_00");
  ASSERT_EQ(result["output"].size(), 2u) << result.dump(1);
  EXPECT_EQ(result["output"][0]["text"].get<std::string>().rfind("Script completed\n", 0), 0u)
      << result.dump(1);
  EXPECT_EQ(result["output"][1], json::parse(R"({"type":"input_text","text":"{}"})"));
}

}  // namespace
}  // namespace bbox::image::build
