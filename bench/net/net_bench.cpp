// Throughput of downloading 256 MiB from a server on the host's loopback
// through the guest network (switch + libslirp + filter), against the same
// download on the host, and the TCP connect latency the guest network adds.
//
// The guest here is a TAP device in its own network namespace whose frames a
// thread pumps to the switch socket in QEMU's stream format, so the figure is
// bbox's share of the path (no virtio-net, no guest kernel under TCG). Both
// namespaces are made by this program and removed when it exits; nothing
// leaves them. Usage: bbox_bench_net [MiB] (root).
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "bbox/net/switch.h"
#include "netns.h"
#include "test_hosts.h"

namespace {

using namespace bbox;
using namespace bbox::net;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kPort = 18080;
constexpr uint32_t kLoopback = 0x7f000001;

// Serves `bytes` zero bytes to each connection on 127.0.0.1:kPort.
class BulkServer {
 public:
  explicit BulkServer(size_t bytes) : bytes_(bytes) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(kLoopback);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    ::listen(fd_.get(), 128);
    thread_ = std::thread([this] { serve(); });
  }
  ~BulkServer() {
    stop_ = true;
    thread_.join();
  }

 private:
  void serve() {
    std::vector<char> chunk(1 << 20, 0);
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char cmd = 0;
      if (::read(c.get(), &cmd, 1) != 1 || cmd != 'G') continue;  // 'G': send the bulk
      for (size_t sent = 0; sent < bytes_;) {
        ssize_t n = ::send(c.get(), chunk.data(), std::min(chunk.size(), bytes_ - sent),
                           MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
  }
  size_t bytes_;
  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Seconds to download everything from addr:kPort, or -1.
double download(uint32_t addr, size_t expect) {
  UniqueFd fd;
  auto t0 = Clock::now();
  if (test::tcp_connect(addr, kPort, 5000, &fd) != test::Connect::kOk) return -1;
  if (::send(fd.get(), "G", 1, MSG_NOSIGNAL) != 1) return -1;
  std::vector<char> buf(1 << 20);
  size_t got = 0;
  while (got < expect) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != expect) return -1;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Median milliseconds of `n` connects to addr:kPort.
double connect_ms(uint32_t addr, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    if (test::tcp_connect(addr, kPort, 5000) != test::Connect::kOk) return -1;
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int run(size_t mib) {
  std::string pid = std::to_string(getpid());
  auto host = test::Netns::create("bbox-bench-h" + pid);
  auto guest = test::Netns::create("bbox-bench-g" + pid);
  if (!host || !guest) return std::fprintf(stderr, "cannot create namespaces\n"), 1;
  auto dir = std::filesystem::temp_directory_path() / ("bbox-bench-net-" + pid);
  std::filesystem::create_directories(dir);

  size_t bytes = mib << 20;
  std::unique_ptr<BulkServer> server;
  std::unique_ptr<NetworkSwitch> sw;
  double host_s = -1, host_conn = -1;
  test::run_in_netns(host->fd(), [&] {
    server = std::make_unique<BulkServer>(bytes);
    EgressPolicy p;
    p.host_ports = {kPort};
    p.upstream_resolver = SocketAddress{IpAddress::v4(kLoopback), 53};  // never asked here
    auto r = NetworkSwitch::start(dir / "net.sock", p, nullptr);
    if (r.ok()) sw = std::move(*r);
    host_s = download(kLoopback, bytes);
    host_conn = connect_ms(kLoopback, 100);
  });
  auto tap = sw ? test::TapGuest::create(*guest, dir / "net.sock") : nullptr;
  double guest_s = -1, guest_conn = -1;
  if (tap) {
    test::run_in_netns(guest->fd(), [&] {
      guest_s = download(kGatewayIp, bytes);
      guest_conn = connect_ms(kGatewayIp, 100);
    });
  }
  tap.reset();
  sw.reset();
  server.reset();
  std::filesystem::remove_all(dir);
  if (host_s <= 0 || guest_s <= 0) return std::fprintf(stderr, "download failed\n"), 1;

  double host_rate = double(mib) / host_s, guest_rate = double(mib) / guest_s;
  std::printf("net: download %zu MiB: host %.1f MiB/s, through the guest network %.1f MiB/s, "
              "ratio %.3f\n", mib, host_rate, guest_rate, guest_rate / host_rate);
  std::printf("net: TCP connect (median of 100): host %.3f ms, guest %.3f ms, added %.3f ms\n",
              host_conn, guest_conn, guest_conn - host_conn);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto why = test::netns_unavailable_reason(); !why.empty()) {
    std::fprintf(stderr, "bbox_bench_net: %s\n", why.c_str());
    return 1;
  }
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  return run(mib == 0 ? 256 : mib);
}
