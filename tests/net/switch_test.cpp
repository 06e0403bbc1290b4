// The NetworkSwitch over its real unix socket, with a fake QEMU sending
// frames and a test resolver on the loopback address. No root needed.
#include "bbox/net/switch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bbox/net/dns.h"
#include "bbox_test/temp_dir.h"
#include "fake_qemu.h"
#include "net_test_frames.h"
#include "test_hosts.h"

namespace bbox::net {
namespace {

constexpr uint32_t kLoopback = 0x7f000001;

std::vector<uint8_t> arp_who_has(uint32_t target) {
  std::vector<uint8_t> f(6, 0xff);
  f.insert(f.end(), test::kGuestMac.begin(), test::kGuestMac.end());
  f.insert(f.end(), {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1});
  f.insert(f.end(), test::kGuestMac.begin(), test::kGuestMac.end());
  test::push32(f, kGuestIp);
  f.insert(f.end(), 6, 0);
  test::push32(f, target);
  return f;
}

struct SwitchFixture : ::testing::Test {
  test_support::TempDir tmp{"bbox-net-test", "/tmp"};
  std::filesystem::path dir;
  std::unique_ptr<test::TestResolver> resolver;
  std::unique_ptr<NetworkSwitch> sw;
  std::vector<std::string> log;
  std::mutex log_mu;

  void SetUp() override {
    dir = tmp.path();
    resolver = std::make_unique<test::TestResolver>(
        "127.0.0.1", 0,
        std::map<std::string, std::vector<DnsRecord>>{
            {"allowed.test", {test::a_record("allowed.test", 0xc633640a)}}});
  }
  void TearDown() override { sw.reset(); }
  void start(EgressPolicy p = policy()) {
    p.upstream_resolver = SocketAddress{IpAddress::v4(kLoopback), resolver->port()};
    auto r = NetworkSwitch::start(dir / "net.sock", p, [this](std::string_view l) {
      std::lock_guard lock(log_mu);
      log.emplace_back(l);
    });
    ASSERT_TRUE(r.ok()) << r.error().message;
    sw = std::move(*r);
  }
  static EgressPolicy policy() {
    EgressPolicy p;
    p.profile_hosts = {parse_host_rule("allowed.test").value()};
    p.upstream_timeout = std::chrono::milliseconds(300);
    return p;
  }
  std::vector<uint8_t> query(const char* name) {
    return test::udp4_frame(kGuestIp, kResolverIp, 40000, 53, build_dns_query(9, name, kDnsA));
  }
};

bool is_dns_reply(const ParsedFrame& f) { return f.udp && f.udp->src_port == 53; }

TEST_F(SwitchFixture, ListenerIsPrivateToTheUser) {
  start();
  struct stat st {};
  ASSERT_EQ(stat((dir / "net.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SwitchFixture, RefusesToReuseAnExistingPath) {
  start();
  auto again = NetworkSwitch::start(dir / "net.sock", policy(), nullptr);
  EXPECT_FALSE(again.ok());
}

TEST_F(SwitchFixture, DestructorRemovesTheSocket) {
  start();
  sw.reset();
  EXPECT_FALSE(std::filesystem::exists(dir / "net.sock"));
}

TEST_F(SwitchFixture, LibslirpAnswersArpForTheGateway) {
  start();
  test::FakeQemu qemu(dir / "net.sock");
  ASSERT_TRUE(qemu.connected());
  qemu.send(arp_who_has(kGatewayIp));
  auto reply = qemu.wait_for([](const ParsedFrame& f) { return f.arp && f.arp->op == 2; }, 3000);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->arp->sender_ip, kGatewayIp);
}

TEST_F(SwitchFixture, AllowedNameIsResolvedByTheHostResolver) {
  start();
  test::FakeQemu qemu(dir / "net.sock");
  qemu.send(query("allowed.test"));
  std::vector<uint8_t> raw;
  auto reply = qemu.wait_for(is_dns_reply, 3000, &raw);
  ASSERT_TRUE(reply);
  auto msg = parse_dns(reply->udp->payload);
  ASSERT_TRUE(msg && msg->answers.size() == 1);
  EXPECT_EQ(msg->answers[0].address->str(), "198.51.100.10");
  EXPECT_TRUE(resolver->saw("allowed.test"));
}

TEST_F(SwitchFixture, ForbiddenNameGetsNxdomainAndTheResolverNeverSeesIt) {
  start();
  test::FakeQemu qemu(dir / "net.sock");
  std::string name =
      std::string(32, 'a') + "." + std::string(32, 'b') + ".exfil.example";  // 64 hex chars
  qemu.send(query(name.c_str()));
  auto reply = qemu.wait_for(is_dns_reply, 3000);
  ASSERT_TRUE(reply);
  EXPECT_EQ(parse_dns(reply->udp->payload)->rcode(), kRcodeNxDomain);
  EXPECT_TRUE(resolver->queries().empty());
  EXPECT_EQ(sw->blocked_summary(), "blocked 1: " + name + " (DNS)");
}

TEST_F(SwitchFixture, SilentResolverGivesServfailNotAHang) {
  resolver->set_silent(true);
  start();
  test::FakeQemu qemu(dir / "net.sock");
  auto t0 = std::chrono::steady_clock::now();
  qemu.send(query("allowed.test"));
  auto reply = qemu.wait_for(is_dns_reply, 3000);
  ASSERT_TRUE(reply);
  EXPECT_EQ(parse_dns(reply->udp->payload)->rcode(), kRcodeServFail);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(SwitchFixture, ForbiddenSynIsResetOverTheSocket) {
  start();
  test::FakeQemu qemu(dir / "net.sock");
  qemu.send(test::tcp4_frame(kGuestIp, 0xcb007109, 40000, 443, kTcpSyn));
  auto rst = qemu.wait_for([](const ParsedFrame& f) { return f.tcp.has_value(); }, 3000);
  ASSERT_TRUE(rst);
  EXPECT_TRUE(rst->tcp->flags & kTcpRst);
  EXPECT_EQ(sw->blocked_summary(), "blocked 1: 203.0.113.9:443");
}

TEST_F(SwitchFixture, OversizeLengthHangsUpAndTheNextConnectionWorks) {
  start();
  {
    test::FakeQemu bad(dir / "net.sock");
    bad.send_raw({0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0});
    EXPECT_FALSE(bad.receive(3000));
    EXPECT_TRUE(bad.hung_up());
  }
  test::FakeQemu qemu(dir / "net.sock");
  qemu.send(query("allowed.test"));
  EXPECT_TRUE(qemu.wait_for(is_dns_reply, 3000));
}

TEST_F(SwitchFixture, GarbageFramesAreDroppedAndTheSessionKeepsWorking) {
  start();
  test::FakeQemu qemu(dir / "net.sock");
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> junk(static_cast<size_t>(1 + i % 200), static_cast<uint8_t>(i));
    qemu.send(junk);
  }
  qemu.send(query("allowed.test"));
  EXPECT_TRUE(qemu.wait_for(is_dns_reply, 5000));
}

}  // namespace
}  // namespace bbox::net
