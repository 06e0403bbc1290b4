#include "test_hosts.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bbox::net::test {

void run_in_netns(int ns_fd, const std::function<void()>& fn) {
  std::exception_ptr failure;
  std::thread t([&] {
    try {
      if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns");
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  t.join();
  if (failure) std::rethrow_exception(failure);
}

namespace {

sockaddr_in sock4(uint32_t addr, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(addr);
  a.sin_port = htons(port);
  return a;
}

UniqueFd bound(int type, const std::string& addr, uint16_t port, uint16_t* actual) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = sock4(0, port);
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw std::runtime_error("bind " + addr + ":" + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  socklen_t len = sizeof a;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *actual = ntohs(a.sin_port);
  return fd;
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

}  // namespace

DnsRecord a_record(const std::string& name, uint32_t ip, uint32_t ttl) {
  return {name, kDnsA, kDnsClassIn, ttl, IpAddress::v4(ip), ""};
}

TestResolver::TestResolver(const std::string& addr, uint16_t port,
                           std::map<std::string, std::vector<DnsRecord>> zone)
    : zone_(std::move(zone)) {
  fd_ = bound(SOCK_DGRAM, addr, port, &port_);
  thread_ = std::thread([this] { serve(); });
}

TestResolver::~TestResolver() {
  stop_ = true;
  thread_.join();
}

void TestResolver::serve() {
  std::vector<uint8_t> buf(4096);
  while (!stop_) {
    if (!readable(fd_.get(), 50)) continue;
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n =
        recvfrom(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    auto q = n > 0 ? parse_dns(Bytes(buf.data(), static_cast<size_t>(n))) : std::nullopt;
    if (!q || q->questions.size() != 1) continue;
    const DnsQuestion& question = q->questions[0];
    {
      std::lock_guard lock(mu_);
      queries_.push_back(question.name);
    }
    if (silent_) continue;
    auto it = zone_.find(question.name);
    DnsReply r{q->id, true, question, it == zone_.end() ? kRcodeNxDomain : kRcodeNoError, {}};
    if (it != zone_.end()) {
      for (const DnsRecord& rec : it->second) {
        if (rec.type == question.type || rec.type == kDnsCname) r.answers.push_back(rec);
      }
    }
    auto out = build_dns_response(r);
    sendto(fd_.get(), out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

std::vector<std::string> TestResolver::queries() const {
  std::lock_guard lock(mu_);
  return queries_;
}

bool TestResolver::saw(const std::string& name) const {
  for (const auto& q : queries()) {
    if (q == name) return true;
  }
  return false;
}

TestHttpServer::TestHttpServer(const std::string& addr, uint16_t port, std::string body)
    : body_(std::move(body)) {
  fd_ = bound(SOCK_STREAM, addr, port, &port_);
  ::listen(fd_.get(), 16);
  thread_ = std::thread([this] { serve(); });
}

TestHttpServer::~TestHttpServer() {
  stop_ = true;
  thread_.join();
}

void TestHttpServer::serve() {
  while (!stop_) {
    if (!readable(fd_.get(), 50)) continue;
    UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) continue;
    ++hits_;
    char req[2048];
    if (readable(c.get(), 2000)) (void)::read(c.get(), req, sizeof req);
    std::string resp =
        "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
    (void)::send(c.get(), resp.data(), resp.size(), MSG_NOSIGNAL);
  }
}

Connect tcp_connect(uint32_t addr, uint16_t port, int timeout_ms, UniqueFd* out) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in a = sock4(addr, port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    return errno == ECONNREFUSED ? Connect::kRefused : Connect::kOther;
  }
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return Connect::kTimeout;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == ECONNREFUSED || err == ECONNRESET) return Connect::kRefused;
  if (err != 0) return Connect::kOther;
  fcntl(fd.get(), F_SETFL, 0);
  if (out) *out = std::move(fd);
  return Connect::kOk;
}

std::string http_get(uint32_t addr, uint16_t port, int timeout_ms) {
  UniqueFd fd;
  if (tcp_connect(addr, port, timeout_ms, &fd) != Connect::kOk) return "";
  std::string req = "GET / HTTP/1.0\r\n\r\n";
  if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) < 0) return "";
  std::string resp;
  char buf[4096];
  while (readable(fd.get(), timeout_ms)) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

std::optional<DnsMessage> dns_query(uint32_t server, uint16_t port, const std::string& name,
                                    uint16_t type, int timeout_ms) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = sock4(server, port);
  auto q = build_dns_query(0x1234, name, type);
  sendto(fd.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (!readable(fd.get(), timeout_ms)) return std::nullopt;
  std::vector<uint8_t> buf(4096);
  ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  return parse_dns(Bytes(buf.data(), static_cast<size_t>(n)));
}

}  // namespace bbox::net::test
