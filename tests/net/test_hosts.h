// Test hosts for the network tests: a DNS resolver serving a fixed zone and
// recording every query it sees, a one-line HTTP server, and network
// namespaces entered per thread. Everything listens only on loopback or
// inside namespaces the test created.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "bbox/net/dns.h"

namespace bbox::net::test {

// Runs `fn` on a new thread inside the network namespace open at `ns_fd`
// (or the current one for -1) and waits for it.
void run_in_netns(int ns_fd, const std::function<void()>& fn);

class TestResolver {
 public:
  // Listens on UDP addr:port (port 0: any free port) from the calling thread's
  // namespace. `silent` names are swallowed without an answer.
  TestResolver(const std::string& addr, uint16_t port,
               std::map<std::string, std::vector<DnsRecord>> zone);
  ~TestResolver();
  uint16_t port() const { return port_; }
  std::vector<std::string> queries() const;
  bool saw(const std::string& name) const;
  void set_silent(bool silent) { silent_ = silent; }

 private:
  void serve();
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::map<std::string, std::vector<DnsRecord>> zone_;
  mutable std::mutex mu_;
  std::vector<std::string> queries_;
  std::atomic<bool> silent_{false}, stop_{false};
  std::thread thread_;
};

class TestHttpServer {
 public:
  // Answers every request on TCP addr:port with `body`.
  TestHttpServer(const std::string& addr, uint16_t port, std::string body);
  ~TestHttpServer();
  uint16_t port() const { return port_; }
  int hits() const { return hits_; }

 private:
  void serve();
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::string body_;
  std::atomic<int> hits_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The outcome of one TCP connect from the current thread.
enum class Connect { kOk, kRefused, kTimeout, kOther };
Connect tcp_connect(uint32_t addr, uint16_t port, int timeout_ms, UniqueFd* out = nullptr);
// GET / over HTTP/1.0; returns the body or "" on any failure.
std::string http_get(uint32_t addr, uint16_t port, int timeout_ms);
// One DNS query over UDP; nullopt on timeout.
std::optional<DnsMessage> dns_query(uint32_t server, uint16_t port, const std::string& name,
                                    uint16_t type, int timeout_ms);

DnsRecord a_record(const std::string& name, uint32_t ip, uint32_t ttl = 60);

}  // namespace bbox::net::test
