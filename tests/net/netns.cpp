#include "netns.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "test_hosts.h"

namespace bbox::net::test {

namespace {

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

}  // namespace

std::string netns_unavailable_reason() {
  if (geteuid() != 0) return "needs root for network namespaces and a TAP device";
  if (!sh("ip -V")) return "needs iproute2 (ip)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "needs /dev/net/tun";
  return "";
}

namespace {

// Removes namespaces named PREFIX<pid> whose process is gone: leftovers of
// test runs that were killed before their teardown.
void remove_stale(const std::string& name) {
  std::string prefix = name.substr(0, name.find_last_not_of("0123456789") + 1);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string other = e.path().filename().string();
    if (other.size() <= prefix.size() || other.compare(0, prefix.size(), prefix) != 0) continue;
    std::string pid = other.substr(prefix.size());
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!std::filesystem::exists("/proc/" + pid, ec)) sh("ip netns del " + other);
  }
}

}  // namespace

std::unique_ptr<Netns> Netns::create(const std::string& name) {
  remove_stale(name);
  sh("ip netns del " + name);  // a leftover of a killed run that had our pid
  if (!sh("ip netns add " + name)) return nullptr;
  std::unique_ptr<Netns> ns(new Netns(name));
  ns->fd_.reset(::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns->fd_ || !ns->ip("link set lo up")) return nullptr;
  return ns;
}

Netns::~Netns() {
  fd_.reset();
  sh("ip netns del " + name_);
}

bool Netns::ip(const std::string& args) const { return sh("ip -n " + name_ + " " + args); }

std::unique_ptr<TapGuest> TapGuest::create(const Netns& guest,
                                           const std::filesystem::path& switch_socket, int mtu) {
  std::unique_ptr<TapGuest> tap(new TapGuest);
  run_in_netns(guest.fd(), [&] {
    tap->tap_.reset(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, "bbtap0", IFNAMSIZ - 1);
    // Safety: TUNSETIFF creates the device in this thread's namespace, the
    // test's own guest namespace, and it vanishes when the fd is closed.
    if (!tap->tap_ || ioctl(tap->tap_.get(), TUNSETIFF, &ifr) != 0) tap->tap_.reset();
  });
  if (!tap->tap_ || !guest.ip("addr add 10.0.2.15/24 dev bbtap0") ||
      !guest.ip("link set bbtap0 mtu " + std::to_string(mtu)) || !guest.ip("link set bbtap0 up") ||
      !guest.ip("route add default via 10.0.2.2")) {
    return nullptr;
  }
  tap->sock_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, switch_socket.c_str(), sizeof a.sun_path - 1);
  if (::connect(tap->sock_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return nullptr;
  tap->thread_ = std::thread([t = tap.get()] { t->pump(); });
  return tap;
}

TapGuest::~TapGuest() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TapGuest::pump() {
  std::vector<uint8_t> in, frame(65536 + 4);
  while (!stop_) {
    pollfd p[2] = {{tap_.get(), POLLIN, 0}, {sock_.get(), POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) continue;
    if (p[0].revents & POLLIN) {
      ssize_t n = ::read(tap_.get(), frame.data() + 4, 65536);
      if (n > 0) {
        uint32_t len = static_cast<uint32_t>(n);
        frame[0] = len >> 24, frame[1] = len >> 16, frame[2] = len >> 8, frame[3] = len;
        (void)::send(sock_.get(), frame.data(), len + 4, MSG_NOSIGNAL);
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP)) {
      uint8_t buf[65536];
      ssize_t n = ::read(sock_.get(), buf, sizeof buf);
      if (n <= 0) return;
      in.insert(in.end(), buf, buf + n);
      while (in.size() >= 4) {
        size_t len = size_t{in[0]} << 24 | size_t{in[1]} << 16 | size_t{in[2]} << 8 | in[3];
        if (in.size() < 4 + len) break;
        (void)::write(tap_.get(), in.data() + 4, len);
        in.erase(in.begin(), in.begin() + 4 + len);
      }
    }
  }
}

}  // namespace bbox::net::test
