// The scripted Messages API server the Claude Code proof runs against.
#include <gtest/gtest.h>

#include "agents/scripted_server.h"
#include "agents/sse.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

json edit_script() {
  return json{{"turns",
               {{{"tool_use",
                  {{"name", "Edit"},
                   {"input",
                    {{"file_path", "/workspace/index.js"},
                     {"old_string", "var m = s * 60;"},
                     {"new_string", "var m = s * 60; // one minute"}}}}}},
                {{"text", "Done."}}}}};
}

const std::string kAgentTurn =
    R"({"model":"m","stream":true,"tools":[{"name":"Edit"}],)"
    R"("messages":[{"role":"user","content":"go"}]})";

TEST(ScriptedMessagesServer, StreamsTheScriptedToolUseThenTheFinalText) {
  TestDir dir;
  ScriptedServer server(dir.path(), edit_script());
  ASSERT_GT(server.port(), 0);

  std::string first = http_request(server.port(), "POST", "/v1/messages?beta=true", kAgentTurn);
  ASSERT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  auto events = parse_sse(first);
  EXPECT_EQ(event_names(events),
            (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  for (const auto& e : events) EXPECT_EQ(e.data["type"], e.name);
  EXPECT_EQ(events[2].data["content_block"]["type"], "tool_use");
  EXPECT_EQ(events[2].data["content_block"]["name"], "Edit");
  std::string partial = std::string(events[3].data["delta"]["partial_json"]) +
                        std::string(events[4].data["delta"]["partial_json"]);
  EXPECT_EQ(events[3].data["delta"]["type"], "input_json_delta");
  EXPECT_EQ(json::parse(partial), edit_script()["turns"][0]["tool_use"]["input"]);
  EXPECT_EQ(events[6].data["delta"]["stop_reason"], "tool_use");

  auto second =
      parse_sse(http_request(server.port(), "POST", "/v1/messages?beta=true", kAgentTurn));
  ASSERT_EQ(second.size(), 7u);
  EXPECT_EQ(second[2].data["content_block"]["type"], "text");
  EXPECT_EQ(second[3].data["delta"], (json{{"type", "text_delta"}, {"text", "Done."}}));
  EXPECT_EQ(second[5].data["delta"]["stop_reason"], "end_turn");
}

TEST(ScriptedMessagesServer, RecordsEveryRequestAndOnlyAgentTurnsUseTheScript) {
  TestDir dir;
  ScriptedServer server(dir.path(), edit_script());
  std::string side = http_request(server.port(), "POST", "/v1/messages",
                                  R"({"model":"m","max_tokens":1,"messages":[]})");
  EXPECT_NE(side.find(R"("content": [{"type": "text", "text": "ok"}])"), std::string::npos) << side;
  std::string count = http_request(server.port(), "POST", "/v1/messages/count_tokens", "{}");
  EXPECT_NE(count.find(R"({"input_tokens": 25})"), std::string::npos);
  http_request(server.port(), "HEAD", "/", "");
  auto turn = parse_sse(http_request(server.port(), "POST", "/v1/messages?beta=true", kAgentTurn));
  ASSERT_GT(turn.size(), 2u);
  EXPECT_EQ(turn[2].data["content_block"]["name"], "Edit");  // the side request used no turn

  auto rec = server.record();
  EXPECT_EQ(rec["turns_used"], 1);
  ASSERT_EQ(rec["requests"].size(), 4u);
  std::vector<std::string> seen;
  for (const auto& r : rec["requests"])
    seen.push_back(std::string(r["method"]) + " " + std::string(r["path"]));
  EXPECT_EQ(seen, (std::vector<std::string>{"POST /v1/messages", "POST /v1/messages/count_tokens",
                                            "HEAD /", "POST /v1/messages?beta=true"}));
  EXPECT_EQ(rec["requests"][3]["turn"], 0);
  EXPECT_EQ(rec["requests"][3]["headers"]["x-api-key"], "test");
  EXPECT_EQ(rec["requests"][3]["body"]["messages"][0]["content"], "go");
}

TEST(ScriptedMessagesServer, AnswersAnUnscriptedPathWithANotFoundError) {
  TestDir dir;
  ScriptedServer server(dir.path(), edit_script());
  std::string r = http_request(server.port(), "POST", "/v1/complete", "{}");
  EXPECT_EQ(r.rfind("HTTP/1.1 404", 0), 0u) << r;
  EXPECT_NE(r.find("not_found_error"), std::string::npos);
}

}  // namespace
}  // namespace bbox::image::build
