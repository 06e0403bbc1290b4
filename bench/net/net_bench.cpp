// Throughput of downloading 256 MiB from a server on the host's loopback
// through the guest network, against the same download on the host, and the
// TCP connect latency the guest network adds. Two guests are measured:
//   - a TAP device in its own namespace whose frames a thread pumps to the
//     switch in QEMU's stream format: bbox's share of the path alone;
//   - a real microVM (TCG here) running a static probe: the whole path.
// The "host" is a network namespace this program creates, with the server on
// its 127.0.0.1; both namespaces go away when it exits and nothing leaves
// them. Usage (root): bbox_bench_net [MiB] [--no-vm]
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "bbox/net/switch.h"
#include "net_bench.h"
#include "probe.h"
#include "test_hosts.h"

namespace bbox::net::bench {
namespace {

constexpr uint32_t kLoopback = 0x7f000001;

// Serves `bytes` zero bytes to each connection on 127.0.0.1:kPort that asks
// with 'G'; other connections are closed (the connect probe). It times each
// download from accept to the client's close, on the host's clock.
class BulkServer {
 public:
  explicit BulkServer(uint64_t bytes) : bytes_(bytes) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(kLoopback);
    ok_ = ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
          ::listen(fd_.get(), 4096) == 0 && fcntl(fd_.get(), F_SETFL, O_NONBLOCK) == 0;
    thread_ = std::thread([this] { serve(); });
  }
  ~BulkServer() {
    stop_ = true;
    thread_.join();
  }
  bool ok() const { return ok_; }
  double last_download_s() const { return last_s_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      // Drain the backlog: a full one drops SYNs, and the client would wait
      // a second for its retransmission.
      while (UniqueFd c{::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC)}) serve_one(c);
    }
  }
  void serve_one(const UniqueFd& c) {
    double t0 = probe::now_s();
    char cmd = 0;
    if (::read(c.get(), &cmd, 1) != 1 || cmd != 'G') return;  // a connect probe
    uint64_t sent = 0;
    while (sent < bytes_) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_.size(), bytes_ - sent));
      ssize_t n = ::send(c.get(), chunk_.data(), want, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<uint64_t>(n);
    }
    while (sent == bytes_ && ::read(c.get(), &cmd, 1) > 0) {
    }  // the client closes once it has every byte
    last_s_ = sent == bytes_ ? probe::now_s() - t0 : -1;
  }
  std::vector<char> chunk_ = std::vector<char>(1 << 20, 0);
  uint64_t bytes_;
  bool ok_ = false;
  std::atomic<double> last_s_{-1};
  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Measured measure(uint32_t addr, uint64_t bytes) {
  Measured m;
  m.download_s = probe::download(addr, kPort, bytes);
  m.connect_ms = probe::connect_ms(addr, kPort, kConnects);
  if (m.download_s < 0 || m.connect_ms < 0) m.error = "download or connect failed";
  return m;
}

Measured measure_tap(const test::Netns& host, const test::Netns& guest,
                     const std::filesystem::path& dir, uint64_t bytes, int mtu) {
  std::unique_ptr<NetworkSwitch> sw;
  test::run_in_netns(host.fd(), [&] {
    EgressPolicy p;
    p.host_ports = {kPort};
    p.upstream_resolver = SocketAddress{IpAddress::v4(kLoopback), 53};  // never asked
    auto r = NetworkSwitch::start(dir / "tap-net.sock", p, nullptr);
    if (r.ok()) sw = std::move(*r);
  });
  auto tap = sw ? test::TapGuest::create(guest, dir / "tap-net.sock", mtu) : nullptr;
  if (!tap) return Measured{-1, -1, "cannot start the switch or the TAP guest"};
  Measured m;
  test::run_in_netns(guest.fd(), [&] { m = measure(kGatewayIp, bytes); });
  return m;
}

void print(uint64_t mib, const Measured& host, const char* what, const Measured& m) {
  if (!m.error.empty()) {
    std::printf("net: %s: no figure: %s\n", what, m.error.c_str());
    return;
  }
  double host_rate = double(mib) / host.download_s, rate = double(mib) / m.download_s;
  std::printf(
      "net: %s: download %lu MiB at %.1f MiB/s (host %.1f MiB/s), ratio %.3f; "
      "TCP connect %.3f ms (host %.3f ms), added %.3f ms\n",
      what, static_cast<unsigned long>(mib), rate, host_rate, rate / host_rate, m.connect_ms,
      host.connect_ms, m.connect_ms - host.connect_ms);
}

int run(uint64_t mib, bool with_vm) {
  std::string pid = std::to_string(getpid());
  auto host = test::Netns::create("bbox-bench-h" + pid);
  auto guest = test::Netns::create("bbox-bench-g" + pid);
  if (!host || !guest) return std::fprintf(stderr, "bbox_bench_net: no namespaces\n"), 1;
  auto dir = std::filesystem::temp_directory_path() / ("bbox-bench-net-" + pid);
  std::filesystem::create_directories(dir);

  uint64_t bytes = mib << 20;
  std::unique_ptr<BulkServer> server;
  Measured on_host;
  test::run_in_netns(host->fd(), [&] {
    server = std::make_unique<BulkServer>(bytes);
    if (server->ok()) on_host = measure(kLoopback, bytes);
  });
  if (!on_host.error.empty() || !server->ok()) {
    std::fprintf(stderr, "bbox_bench_net: the host baseline failed\n");
    return 1;
  }
  // Every download is timed by the server, on the host's clock.
  auto server_timed = [&](Measured m) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (m.error.empty()) m.download_s = server->last_download_s();
    if (m.download_s <= 0 && m.error.empty()) m.error = "the server saw no complete download";
    return m;
  };
  on_host = server_timed(on_host);
  Measured tap = server_timed(measure_tap(*host, *guest, dir, bytes, 1500));
  Measured tap_big = server_timed(measure_tap(*host, *guest, dir, bytes, kGuestMtu));
  Measured vm =
      with_vm ? server_timed(measure_vm(*host, dir / "vm", bytes)) : Measured{-1, -1, "--no-vm"};
  server.reset();
  std::filesystem::remove_all(dir);

  print(mib, on_host, "TAP guest, MTU 1500 (switch + libslirp + filter only)", tap);
  print(mib, on_host, "TAP guest, MTU 65520 (switch + libslirp + filter only)", tap_big);
  print(mib, on_host, "microVM guest, MTU 1500 (whole path, TCG)", vm);
  return tap.error.empty() && tap_big.error.empty() && (vm.error.empty() || !with_vm) ? 0 : 1;
}

}  // namespace
}  // namespace bbox::net::bench

int main(int argc, char** argv) {
  if (auto why = bbox::net::test::netns_unavailable_reason(); !why.empty()) {
    std::fprintf(stderr, "bbox_bench_net: %s\n", why.c_str());
    return 1;
  }
  uint64_t mib = 256;
  bool with_vm = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-vm") == 0) {
      with_vm = false;
    } else if (uint64_t v = std::strtoull(argv[i], nullptr, 10); v > 0) {
      mib = v;
    }
  }
  return bbox::net::bench::run(mib, with_vm);
}
