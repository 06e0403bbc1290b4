// Runs a scripted API server for a test, on 127.0.0.1, recording every
// request it gets: tests/fixtures/messages_api_server.py (Anthropic Messages
// API, the default) or tests/fixtures/responses_api_server.py (OpenAI Responses
// API). Both take the same flags.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/test_util.h"

namespace bbox::image::build {

class ScriptedServer {
 public:
  static constexpr const char* kMessagesApi = "tests/fixtures/messages_api_server.py";
  static constexpr const char* kResponsesApi = "tests/fixtures/responses_api_server.py";

  // Starts `server` (a path under the source tree) with `script` (the JSON
  // it reads) and waits until it listens. dir holds the script, the record
  // and the port file.
  ScriptedServer(const std::filesystem::path& dir, const nlohmann::json& script,
                 const char* server_script = kMessagesApi)
      : dir_(dir) {
    write_text(dir / "script.json", script.dump());
    std::string server = std::string(BBOX_SOURCE_DIR) + "/" + server_script;
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string s = (dir / "script.json").string(), r = record_path().string(),
                  p = (dir / "port").string();
      ::execlp("python3", "python3", server.c_str(), "--script", s.c_str(), "--record", r.c_str(),
               "--port-file", p.c_str(), "--lifetime", "1800", nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 600 && !std::filesystem::exists(dir / "port"); ++i) {  // 30 s
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    port_ = std::stoi(read_text(dir / "port").empty() ? "0" : read_text(dir / "port"));
  }
  ~ScriptedServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);  // our own child, by pid
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  int port() const { return port_; }
  std::filesystem::path record_path() const { return dir_ / "record.json"; }
  nlohmann::json record() const { return nlohmann::json::parse(read_text(record_path())); }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One HTTP/1.1 request to 127.0.0.1:port with Connection: close; returns the
// whole response (status line, headers, body).
inline std::string http_request(int port, const std::string& method, const std::string& target,
                                const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    "Content-Type: application/json\r\nx-api-key: test\r\n" +
                    "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  ::close(fd);
  return out;
}

}  // namespace bbox::image::build
