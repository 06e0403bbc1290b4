// The scripted Responses API server the Codex proof runs against.
#include <gtest/gtest.h>

#include "agents/scripted_server.h"
#include "agents/sse.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

json exec_script() {
  return json{{"turns",
               {{{"custom_tool_call", {{"name", "exec"}, {"input", "text(1);\n"}}}},
                {{"function_call", {{"name", "shell"}, {"arguments", {{"command", {"ls"}}}}}}},
                {{"text", "Done."}}}}};
}

// A turn as Codex sends it: the tools in an additional_tools input item.
const std::string kCodexTurn =
    R"({"model":"m","stream":true,"input":[{"type":"additional_tools","role":"developer",)"
    R"("tools":[{"type":"custom","name":"exec"}]},{"type":"message","role":"user",)"
    R"("content":[{"type":"input_text","text":"go"}]}]})";

std::vector<SseEvent> turn(int port, const std::string& body = kCodexTurn) {
  std::string r = http_request(port, "POST", "/v1/responses", body);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/event-stream\r\n"), std::string::npos) << r;
  return parse_sse(r);
}

TEST(ScriptedResponsesServer, StreamsEachScriptedItemAsTheDocumentedEvents) {
  TestDir dir;
  ScriptedServer server(dir.path(), exec_script(), ScriptedServer::kResponsesApi);
  ASSERT_GT(server.port(), 0);

  auto custom = turn(server.port());
  EXPECT_EQ(event_names(custom),
            (std::vector<std::string>{
                "response.created", "response.in_progress", "response.output_item.added",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
                "response.output_item.done", "response.completed"}));
  for (size_t i = 0; i < custom.size(); ++i) {
    EXPECT_EQ(custom[i].data["type"], custom[i].name);
    EXPECT_EQ(custom[i].data["sequence_number"], i);
  }
  EXPECT_EQ(custom[2].data["item"]["input"], "");
  json item{{"type", "custom_tool_call"},    {"id", "ctc_scripted_00"},
            {"call_id", "call_scripted_00"}, {"name", "exec"},
            {"input", "text(1);\n"},         {"status", "completed"}};
  EXPECT_EQ(custom[5].data["item"], item);
  EXPECT_EQ(custom[6].data["response"]["status"], "completed");
  EXPECT_EQ(custom[6].data["response"]["output"], json::array({item}));

  auto call = turn(server.port());
  ASSERT_EQ(call.size(), 8u);
  EXPECT_EQ(call[3].name, "response.function_call_arguments.delta");
  EXPECT_EQ(call[5].name, "response.function_call_arguments.done");
  EXPECT_EQ(std::string(call[3].data["delta"]) + std::string(call[4].data["delta"]),
            R"({"command": ["ls"]})");
  EXPECT_EQ(call[5].data["arguments"], R"({"command": ["ls"]})");
  EXPECT_EQ(call[6].data["item"]["call_id"], "call_scripted_01");
  EXPECT_EQ(call[6].data["item"]["type"], "function_call");

  auto text = turn(server.port());
  EXPECT_EQ(
      event_names(text),
      (std::vector<std::string>{
          "response.created", "response.in_progress", "response.output_item.added",
          "response.content_part.added", "response.output_text.delta", "response.output_text.done",
          "response.content_part.done", "response.output_item.done", "response.completed"}));
  EXPECT_EQ(text[4].data["delta"], "Done.");
  EXPECT_EQ(text[7].data["item"]["content"][0]["text"], "Done.");
}

TEST(ScriptedResponsesServer, RecordsEveryRequestAndOnlyToolTurnsUseTheScript) {
  TestDir dir;
  ScriptedServer server(dir.path(), exec_script(), ScriptedServer::kResponsesApi);
  auto side = turn(server.port(), R"({"model":"m","stream":true,"input":"title?"})");
  EXPECT_EQ(side[4].data["delta"], "ok");
  auto first = turn(server.port());
  EXPECT_EQ(first[5].data["item"]["type"], "custom_tool_call");
  std::string models = http_request(server.port(), "GET", "/v1/models", "");
  EXPECT_EQ(models.rfind("HTTP/1.1 200", 0), 0u) << models;
  std::string other = http_request(server.port(), "POST", "/v1/chat/completions", "{}");
  EXPECT_EQ(other.rfind("HTTP/1.1 404", 0), 0u) << other;

  json rec = server.record();
  ASSERT_EQ(rec["requests"].size(), 4u) << rec.dump(1);
  EXPECT_FALSE(rec["requests"][0].contains("turn"));
  EXPECT_EQ(rec["requests"][1]["turn"], 0);
  EXPECT_EQ(rec["requests"][1]["body"], json::parse(kCodexTurn));
  EXPECT_EQ(rec["requests"][2]["path"], "/v1/models");
  EXPECT_EQ(rec["requests"][3]["path"], "/v1/chat/completions");
  EXPECT_EQ(rec["turns_used"], 1);
}

}  // namespace
}  // namespace bbox::image::build
