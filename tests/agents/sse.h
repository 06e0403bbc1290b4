// Reading a text/event-stream HTTP response in the scripted server tests.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bbox::image::build {

struct SseEvent {
  std::string name;
  nlohmann::json data;
};

// Splits a whole HTTP response's text/event-stream body into its events.
inline std::vector<SseEvent> parse_sse(const std::string& response) {
  std::string body = response.substr(response.find("\r\n\r\n") + 4);
  std::vector<SseEvent> out;
  std::istringstream in(body);
  SseEvent cur;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("event: ", 0) == 0) cur.name = line.substr(7);
    if (line.rfind("data: ", 0) == 0) cur.data = nlohmann::json::parse(line.substr(6));
    if (line.empty() && !cur.name.empty()) {
      out.push_back(cur);
      cur = {};
    }
  }
  return out;
}

inline std::vector<std::string> event_names(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name);
  return out;
}

}  // namespace bbox::image::build
