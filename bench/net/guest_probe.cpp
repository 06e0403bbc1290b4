// Static probe copied into the bench VM's root image:
//   net_probe download A.B.C.D PORT BYTES   prints seconds
//   net_probe connect A.B.C.D PORT N        prints the median in ms
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "probe.h"

int main(int argc, char** argv) {
  in_addr a{};
  if (argc != 5 || inet_aton(argv[2], &a) == 0) {
    std::fprintf(stderr, "usage: net_probe download|connect ADDR PORT BYTES|N\n");
    return 2;
  }
  uint32_t addr = ntohl(a.s_addr);
  auto port = static_cast<uint16_t>(std::atoi(argv[3]));
  double v = std::strcmp(argv[1], "download") == 0
                 ? bbox::net::probe::download(addr, port, std::strtoull(argv[4], nullptr, 10))
                 : bbox::net::probe::connect_ms(addr, port, std::atoi(argv[4]));
  std::printf("%.6f\n", v);
  return v < 0 ? 1 : 0;
}
