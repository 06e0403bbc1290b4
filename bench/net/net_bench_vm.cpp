// The VM leg of bbox_bench_net: the probe inside a real microVM under TCG.
#include <cstdlib>
#include <fstream>

#include "bbox/net/switch.h"
#include "bbox/vm/vm.h"
#include "busybox_image.h"
#include "net_bench.h"
#include "test_hosts.h"

namespace bbox::net::bench {

namespace fs = std::filesystem;

namespace {

double read_number(const fs::path& file) {
  std::ifstream in(file);
  double v = -1;
  return in >> v ? v : -1;
}

vm::VmSpec vm_spec(const fs::path& dir, const fs::path& image, uint64_t bytes) {
  vm::VmSpec spec;
  spec.session_dir = dir / "session";
  spec.shared_dir = dir / "workspace";
  spec.root_image = image;
  spec.cpus = 1;
  spec.memory_mib = 512;
  spec.tmp_size_mib = 32;
  spec.tty = false;
  spec.network =
      vm::GuestNetwork{spec.session_dir / "net.sock", kGuestIpCidr, kGuestGateway, kGuestDns};
  std::string target = std::string(kGatewayAddress) + " " + std::to_string(kPort);
  spec.argv = {"sh", "-c",
               "/bin/net_probe download " + target + " " + std::to_string(bytes) +
                   " > /workspace/download && /bin/net_probe connect " + target + " " +
                   std::to_string(kConnects) + " > /workspace/connect"};
  return spec;
}

}  // namespace

Measured measure_vm(const test::Netns& host, const fs::path& dir, uint64_t bytes) {
  Measured m;
  if (std::system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0) {
    m.error = "qemu-system-x86_64 is not installed";
    return m;
  }
  fs::path image = test::busybox_image(dir, {{BBOX_NET_PROBE, "/bin/net_probe"}});
  if (image.empty()) {
    m.error = "cannot build a busybox root image (busybox-static, mkfs.ext4)";
    return m;
  }
  if (!std::getenv("BBOX_INIT")) ::setenv("BBOX_INIT", BBOX_INIT_PATH, 1);
  fs::create_directories(dir / "session");
  fs::create_directories(dir / "workspace");
  fs::permissions(dir / "workspace", fs::perms::all);

  vm::VmSpec spec = vm_spec(dir, image, bytes);
  test::run_in_netns(host.fd(), [&] {
    EgressPolicy policy;
    policy.host_ports = {kPort};
    policy.upstream_resolver = SocketAddress{IpAddress::v4(0x7f000001), 53};  // never asked
    auto sw = NetworkSwitch::start(spec.network->socket, policy, nullptr);
    if (!sw) return void(m.error = sw.error().message);
    auto r = vm::run_vm(spec);
    if (!r) return void(m.error = r.error().message);
    if (r->exit_code != 0) m.error = "the probe failed in the guest: " + r->message;
  });
  m.download_s = read_number(dir / "workspace/download");
  m.connect_ms = read_number(dir / "workspace/connect");
  return m;
}

}  // namespace bbox::net::bench
