#include "network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "log.h"

namespace bbox::guest {
namespace {

sockaddr ipv4_sockaddr(uint32_t host_order) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(host_order);
  sockaddr sa{};
  static_assert(sizeof sin <= sizeof sa);
  std::memcpy(&sa, &sin, sizeof sin);
  return sa;
}

ifreq named(const char* ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  return ifr;
}

// Each call is a plain network ioctl on a datagram socket, on a structure
// sized by the kernel's own definition; failures are reported, not fatal.
bool bring_up(int sock, const char* ifname) {
  ifreq ifr = named(ifname);
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return false;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  return ::ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
}

bool set_address(int sock, const char* ifname, uint32_t addr, int prefix_len) {
  ifreq ifr = named(ifname);
  ifr.ifr_addr = ipv4_sockaddr(addr);
  if (::ioctl(sock, SIOCSIFADDR, &ifr) != 0) return false;
  uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
  ifr.ifr_netmask = ipv4_sockaddr(mask);
  return ::ioctl(sock, SIOCSIFNETMASK, &ifr) == 0;
}

bool add_default_route(int sock, uint32_t gateway) {
  rtentry rt{};
  rt.rt_dst = ipv4_sockaddr(0);
  rt.rt_genmask = ipv4_sockaddr(0);
  rt.rt_gateway = ipv4_sockaddr(gateway);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  return ::ioctl(sock, SIOCADDRT, &rt) == 0;
}

void write_resolv_conf(const std::string& dns) {
  std::string text = "nameserver " + dns + "\n";
  // Images often link resolv.conf to a resolver that does not run here.
  ::unlink("/etc/resolv.conf");
  int fd = ::open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 || ::write(fd, text.data(), text.size()) < 0) log("cannot write /etc/resolv.conf");
  if (fd >= 0) ::close(fd);
}

}  // namespace

void configure_network(const BootConfig& cfg) {
  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    log("network: socket: %s", std::strerror(errno));
    return;
  }
  if (!bring_up(sock, "lo")) log("network: bring up lo: %s", std::strerror(errno));
  if (!cfg.ip.empty()) {
    uint32_t addr = 0, gw = 0;
    parse_ipv4(cfg.ip, &addr);
    bool ok = false;
    // eth0 appears when virtio_net probes; give it up to 5 s.
    for (int i = 0; i < 250 && !ok; ++i) {
      ok = set_address(sock, "eth0", addr, cfg.prefix_len) && bring_up(sock, "eth0");
      if (!ok) ::usleep(20 * 1000);
    }
    if (!ok) log("network: configure eth0: %s", std::strerror(errno));
    if (ok && !cfg.gateway.empty() && parse_ipv4(cfg.gateway, &gw) &&
        !add_default_route(sock, gw)) {
      log("network: default route: %s", std::strerror(errno));
    }
    if (!cfg.dns.empty()) write_resolv_conf(cfg.dns);
  }
  ::close(sock);
}

}  // namespace bbox::guest
