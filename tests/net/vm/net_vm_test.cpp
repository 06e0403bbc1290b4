// The issue's "done when" list, with a real guest: bbox-init in a microVM
// under TCG, its virtio-net connected to the NetworkSwitch, busybox's
// nslookup and wget as the agent. The switch, QEMU and the test hosts run in
// a network namespace this test creates (so "the host's loopback" is that
// namespace's 127.0.0.1); nothing reaches any other network.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "bbox/net/switch.h"
#include "bbox/vm/vm.h"
#include "bbox_test/busybox_rootfs.h"
#include "bbox_test/temp_dir.h"
#include "netns.h"
#include "test_hosts.h"

namespace bbox::net {
namespace {

namespace fs = std::filesystem;

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// A busybox-static ext4 root with a sandbox user (uid 1000), built in
// `dir`; empty when busybox-static or mkfs.ext4 is missing.
fs::path busybox_image(const fs::path& dir) {
  test_support::RootfsSpec spec;
  spec.dirs = {"etc", "tmp"};
  spec.files = {
      {"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000::/tmp:/bin/sh\n"},
      {"etc/group", "root:x:0:\nsandbox:x:1000:\n"}};
  auto tree = test_support::busybox_rootfs(dir / "rootfs", spec);
  if (!tree) return {};
  auto image = test_support::ext4_image(*tree, dir / "root.ext4");
  return image ? *image : fs::path();
}

// The guest's side: each check appends "name value" to /workspace/results.
constexpr const char* kChecks = R"sh(
r() { echo "$1 $2" >> /workspace/results; echo "net-vm: $(cut -d" " -f1 /proc/uptime)s $1 $2" >&2; }
get() {
  if timeout 10 wget -O /tmp/body "$1" 2>/tmp/err; then cat /tmp/body; return; fi
  if grep -q refused /tmp/err; then echo refused; return; fi
  echo "failed: $(head -c 200 /tmp/err | tr '\n' ' ')"
}
resolve() {
  for i in 1 2 3; do
    nslookup -type=a "$1" > /tmp/ns 2>&1
    if grep -q NXDOMAIN /tmp/ns; then echo NXDOMAIN; return; fi
    a=$(sed -n 's/^Address: \([0-9.]*\)$/\1/p' /tmp/ns | tail -1)
    if [ -n "$a" ]; then echo "$a"; return; fi
    echo "resolve $1: no answer, retrying: $(tr '\n' ' ' < /tmp/ns)" >&2
  done
  echo "no answer"
}
)sh";

struct Boot {
  std::map<std::string, std::string> results;
  std::string summary;
  std::string error;
};

class NetVm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::netns_unavailable_reason().empty()) return;
    if (sh("command -v qemu-system-x86_64") != 0) return;
    tmp_ = new test_support::TempDir("bbox-net-vm", "/tmp");
    dir_ = new fs::path(tmp_->path());
    image_ = new fs::path(busybox_image(*dir_));
    std::string pid = std::to_string(getpid());
    hosts_ = test::Netns::create("bbox-netvm-h" + pid).release();
    if (!hosts_) return;
    for (const char* a :
         {"198.51.100.10", "198.51.100.20", "198.51.100.53", "10.99.0.5", "169.254.169.254"}) {
      hosts_->ip(std::string("addr add ") + a + "/32 dev lo");
    }
    test::run_in_netns(hosts_->fd(), [] {
      resolver_ = new test::TestResolver(
          "198.51.100.53", 53,
          {{"allowed.test", {test::a_record("allowed.test", 0xc633640a, 604800)}},
           {"forbidden.test", {test::a_record("forbidden.test", 0xc6336414)}},
           {"git.corp.test", {test::a_record("git.corp.test", 0x0a630005)}},
           {"git.wild.test", {test::a_record("git.wild.test", 0x0a630005)}}});
      servers_ = new std::vector<std::unique_ptr<test::TestHttpServer>>;
      for (auto [addr, port, body] : std::vector<std::tuple<const char*, uint16_t, const char*>>{
               {"198.51.100.10", 80, "allowed"},
               {"198.51.100.10", 8080, "other-port"},
               {"198.51.100.20", 80, "forbidden"},
               {"10.99.0.5", 80, "private"},
               {"169.254.169.254", 80, "metadata"},
               {"127.0.0.1", 8081, "host-port"},
               {"127.0.0.1", 8082, "host-loopback"}}) {
        servers_->push_back(std::make_unique<test::TestHttpServer>(addr, port, body));
      }
    });
  }
  static void TearDownTestSuite() {
    delete servers_;
    delete resolver_;
    delete hosts_;
    delete tmp_;  // left in place with BBOX_TEST_KEEP set
    delete dir_;
    delete image_;
  }
  void SetUp() override {
    if (auto why = test::netns_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    if (!dir_ || !image_ || image_->empty()) {
      GTEST_SKIP() << "needs qemu-system-x86_64, busybox-static and mkfs.ext4";
    }
    ASSERT_TRUE(hosts_ && resolver_) << "could not build the test namespace";
    ::setenv("BBOX_INIT", BBOX_INIT_PATH, 1);
  }

  // Boots one VM behind a switch with `policy`, runs kChecks + `script`.
  Boot boot(EgressPolicy policy, const std::string& script) {
    Boot b;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::path session = *dir_ / name / "session", shared = *dir_ / name / "workspace";
    fs::create_directories(session);
    fs::create_directories(shared);
    fs::permissions(shared, fs::perms::all);
    policy.upstream_resolver = SocketAddress{IpAddress::v4(0xc6336435), 53};
    test::run_in_netns(hosts_->fd(), [&] {
      auto sw = NetworkSwitch::start(session / "net.sock", policy, nullptr);
      if (!sw) return void(b.error = sw.error().message);
      vm::VmSpec spec;
      spec.session_dir = session;
      spec.shared_dir = shared;
      spec.root_image = *image_;
      spec.accel = vm::Accel::kTcg;
      spec.cpus = 1;
      spec.memory_mib = 256;
      spec.tmp_size_mib = 32;
      spec.tty = false;
      spec.network = vm::GuestNetwork{session / "net.sock", kGuestIpCidr, kGuestGateway, kGuestDns};
      spec.argv = {"sh", "-c", std::string(kChecks) + script};
      auto r = vm::run_vm(spec);
      if (!r) return void(b.error = r.error().message);
      if (r->guest_crashed) b.error = "guest crashed: " + r->message;
      b.summary = (*sw)->blocked_summary();
    });
    std::ifstream in(shared / "results");
    std::string line;
    while (std::getline(in, line)) {
      auto sp = line.find(' ');
      b.results[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
    }
    return b;
  }

  static test_support::TempDir* tmp_;
  static fs::path* dir_;
  static fs::path* image_;
  static test::Netns* hosts_;
  static test::TestResolver* resolver_;
  static std::vector<std::unique_ptr<test::TestHttpServer>>* servers_;
};

test_support::TempDir* NetVm::tmp_ = nullptr;
fs::path* NetVm::dir_ = nullptr;
fs::path* NetVm::image_ = nullptr;
test::Netns* NetVm::hosts_ = nullptr;
test::TestResolver* NetVm::resolver_ = nullptr;
std::vector<std::unique_ptr<test::TestHttpServer>>* NetVm::servers_ = nullptr;

TEST_F(NetVm, StandardProfileEnforcesNamesPortsPrivateRangesAndHostPorts) {
  EgressPolicy p;
  p.profile_hosts = {parse_host_rule("allowed.test:80").value()};
  p.user_hosts = {parse_host_rule("*.wild.test").value(), parse_host_rule("git.corp.test").value()};
  p.host_ports = {8081};
  Boot b = boot(p, R"sh(
r dns_allowed "$(resolve allowed.test)"
r fetch_allowed "$(get http://198.51.100.10/)"
r dns_forbidden "$(resolve forbidden.test)"
r literal_forbidden "$(get http://198.51.100.20/)"
r other_port "$(get http://198.51.100.10:8080/)"
r dns_host "$(resolve host.bbox.internal)"
r host_port "$(get http://10.0.2.2:8081/)"
r host_other_port "$(get http://10.0.2.2:8082/)"
r dns_wild "$(resolve git.wild.test)"
r wild_private "$(get http://10.99.0.5/)"
r dns_corp "$(resolve git.corp.test)"
r named_private "$(get http://10.99.0.5/)"
r metadata "$(get http://169.254.169.254/)"
)sh");
  ASSERT_EQ(b.error, "");
  std::map<std::string, std::string> want{
      {"dns_allowed", "198.51.100.10"}, {"fetch_allowed", "allowed"},
      {"dns_forbidden", "NXDOMAIN"},    {"literal_forbidden", "refused"},
      {"other_port", "refused"},        {"dns_host", "10.0.2.2"},
      {"host_port", "host-port"},       {"host_other_port", "refused"},
      {"dns_wild", "10.99.0.5"},        {"wild_private", "refused"},
      {"dns_corp", "10.99.0.5"},        {"named_private", "private"},
      {"metadata", "refused"}};
  EXPECT_EQ(b.results, want);
  EXPECT_FALSE(resolver_->saw("forbidden.test"));
  EXPECT_TRUE(resolver_->saw("allowed.test"));
  EXPECT_EQ(b.summary,
            "blocked 6: forbidden.test (DNS), 198.51.100.20:80, 198.51.100.10:8080, "
            "10.0.2.2:8082 (host), 10.99.0.5:80, 169.254.169.254:80");
}

TEST_F(NetVm, PermissiveProfileStillKeepsMetadataAndHostLoopbackOut) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  Boot b = boot(p, R"sh(
r public "$(get http://198.51.100.20/)"
r metadata "$(get http://169.254.169.254/)"
r host_loopback "$(get http://10.0.2.2:8082/)"
r private "$(get http://10.99.0.5/)"
)sh");
  ASSERT_EQ(b.error, "");
  std::map<std::string, std::string> want{{"public", "forbidden"},
                                          {"metadata", "refused"},
                                          {"host_loopback", "refused"},
                                          {"private", "refused"}};
  EXPECT_EQ(b.results, want);
  EXPECT_EQ(b.summary, "blocked 3: 169.254.169.254:80, 10.0.2.2:8082 (host), 10.99.0.5:80");
}

}  // namespace
}  // namespace bbox::net
