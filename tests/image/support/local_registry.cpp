#include "image/support/local_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "image/digest.h"
#include "image/http.h"
#include "image/process.h"

namespace bbox::image::testing {
namespace {

namespace fs = std::filesystem;

int loopback_socket(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool answers(const std::string& host) {
  HttpRequest r;
  r.url = "http://" + host + "/v2/";
  r.allow_plain_http = true;
  r.timeouts.connect_seconds = 1;
  r.timeouts.total_seconds = 2;
  auto res = http_get(r);
  return res.ok() && res->status == 200;
}

}  // namespace

int free_port() {
  int fd = loopback_socket(0);
  int port = bound_port(fd);
  ::close(fd);
  return port;
}

Result<std::unique_ptr<LocalRegistry>> LocalRegistry::start(const fs::path& work) {
  if (!fs::exists("/usr/bin/docker-registry")) return Error{"docker-registry is not installed"};
  std::unique_ptr<LocalRegistry> r(new LocalRegistry());
  r->port_ = free_port();
  r->storage_ = work / "registry-storage";
  fs::create_directories(r->storage_);
  fs::path config = work / "registry.yml";
  std::ofstream(config) << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                        << "    rootdirectory: " << r->storage_.string() << "\n"
                        << "  delete:\n    enabled: true\nhttp:\n  addr: " << r->host() << "\n";
  std::string log = (work / "registry.log").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl("/usr/bin/docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
    ::_exit(127);
  }
  r->pid_ = pid;
  for (int i = 0; i < 100; ++i) {
    if (answers(r->host())) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error{"docker-registry did not start; see " + log};
}

LocalRegistry::~LocalRegistry() { stop(); }

void LocalRegistry::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status LocalRegistry::push(const fs::path& oci_dir, const std::string& tag,
                           const std::string& dest) const {
  auto r = run_program({"skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false",
                        "oci:" + oci_dir.string() + ":" + tag, "docker://" + host() + "/" + dest});
  if (!r) return r.error();
  return ok_status();
}

fs::path LocalRegistry::blob_file(const std::string& digest) const {
  std::string hex = digest_hex(digest);
  return storage_ / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

FakeHttpServer::FakeHttpServer(
    std::function<FakeResponse(const std::string&, const std::string&)> handler)
    : handler_(std::move(handler)) {
  listen_fd_ = loopback_socket(0);
  port_ = bound_port(listen_fd_);
  thread_ = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stop_ = true;
  thread_.join();
  for (int fd : hanging_) ::close(fd);
  ::close(listen_fd_);
}

void FakeHttpServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, n);
    }
    requests_++;
    size_t sp = req.find(' ');
    std::string path = req.substr(sp + 1, req.find(' ', sp + 1) - sp - 1);
    FakeResponse r = handler_(path, req);
    if (r.hang) {
      hanging_.push_back(c);
      continue;
    }
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\n";
    for (const auto& h : r.headers) out += h + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
    out += r.body;
    (void)!::write(c, out.data(), out.size());
    ::close(c);
  }
}

}  // namespace bbox::image::testing
