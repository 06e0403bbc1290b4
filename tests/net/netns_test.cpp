// End to end through the real switch, libslirp and real TCP/IP stacks: the
// "guest" is a TAP device in one namespace, the test hosts (resolver, HTTP
// servers on documentation, private and link-local addresses, the host's
// loopback) live in another, where the switch runs too. No VM; root only.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "bbox/net/switch.h"
#include "bbox_test/temp_dir.h"
#include "netns.h"
#include "test_hosts.h"

namespace bbox::net {
namespace {

using test::Connect;

constexpr uint32_t kAllowed = 0xc633640a;    // 198.51.100.10
constexpr uint32_t kForbidden = 0xc6336414;  // 198.51.100.20
constexpr uint32_t kResolver = 0xc6336435;   // 198.51.100.53
constexpr uint32_t kPrivate = 0x0a630005;    // 10.99.0.5
constexpr uint32_t kMetadata = 0xa9fea9fe;   // 169.254.169.254

// A bbox service on a unix socket, answering one HTTP line per connection.
class UnixHttpService {
 public:
  explicit UnixHttpService(const std::filesystem::path& path) {
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_.get(), 4);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) != 1) continue;
        UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        char buf[1024];
        (void)::read(c.get(), buf, sizeof buf);
        std::string r = "HTTP/1.0 200 OK\r\n\r\nservice";
        (void)::send(c.get(), r.data(), r.size(), MSG_NOSIGNAL);
      }
    });
  }
  ~UnixHttpService() {
    stop_ = true;
    thread_.join();
  }

 private:
  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class NetnsEgress : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::netns_unavailable_reason().empty()) return;
    std::string pid = std::to_string(getpid());
    hosts_ = test::Netns::create("bbox-net-h" + pid).release();
    guest_ = test::Netns::create("bbox-net-g" + pid).release();
    if (!hosts_ || !guest_) return;
    for (const char* a :
         {"198.51.100.10", "198.51.100.20", "198.51.100.53", "10.99.0.5", "169.254.169.254"}) {
      hosts_->ip(std::string("addr add ") + a + "/32 dev lo");
    }
    test::run_in_netns(hosts_->fd(), [] {
      std::map<std::string, std::vector<DnsRecord>> zone{
          {"allowed.test", {test::a_record("allowed.test", kAllowed, 604800)}},
          {"forbidden.test", {test::a_record("forbidden.test", kForbidden)}},
          {"git.corp.test", {test::a_record("git.corp.test", kPrivate)}},
          {"git.wild.test", {test::a_record("git.wild.test", kPrivate)}},
      };
      resolver_ = new test::TestResolver("198.51.100.53", 53, zone);
      servers_ = new std::vector<std::unique_ptr<test::TestHttpServer>>;
      auto add = [](const char* a, uint16_t port, const char* body) {
        servers_->push_back(std::make_unique<test::TestHttpServer>(a, port, body));
      };
      add("198.51.100.10", 80, "allowed");
      add("198.51.100.10", 8080, "allowed-other-port");
      add("198.51.100.20", 80, "forbidden");
      add("10.99.0.5", 80, "private");
      add("169.254.169.254", 80, "metadata");
      add("127.0.0.1", 8081, "host-port");
      add("127.0.0.1", 8082, "host-loopback");
    });
  }
  static void TearDownTestSuite() {
    delete servers_;
    delete resolver_;
    delete guest_;
    delete hosts_;
    servers_ = nullptr, resolver_ = nullptr, guest_ = nullptr, hosts_ = nullptr;
  }

  void SetUp() override {
    if (auto why = test::netns_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(hosts_ && guest_ && resolver_) << "could not build the test namespaces";
    tmp_.emplace("bbox-netns", "/tmp");
    dir_ = tmp_->path();
  }
  void TearDown() override {
    tap_.reset();
    sw_.reset();
    tmp_.reset();
  }

  void start(EgressPolicy p) {
    p.upstream_resolver = SocketAddress{IpAddress::v4(kResolver), 53};
    test::run_in_netns(hosts_->fd(), [&] {
      auto r = NetworkSwitch::start(dir_ / "net.sock", p, nullptr);
      ASSERT_TRUE(r.ok()) << r.error().message;
      sw_ = std::move(*r);
    });
    ASSERT_TRUE(sw_);
    tap_ = test::TapGuest::create(*guest_, dir_ / "net.sock");
    ASSERT_TRUE(tap_) << "could not create the TAP guest";
  }
  static EgressPolicy standard() {
    EgressPolicy p;
    p.profile_hosts = {parse_host_rule("allowed.test:80").value()};
    return p;
  }
  template <typename F>
  auto in_guest(F fn) {
    decltype(fn()) result{};
    test::run_in_netns(guest_->fd(), [&] { result = fn(); });
    return result;
  }
  std::optional<DnsMessage> resolve(const std::string& name) {
    return in_guest([&] { return test::dns_query(kResolverIp, 53, name, kDnsA, 3000); });
  }
  std::string get(uint32_t addr, uint16_t port) {
    return in_guest([&] { return test::http_get(addr, port, 3000); });
  }
  Connect connect(uint32_t addr, uint16_t port) {
    return in_guest([&] { return test::tcp_connect(addr, port, 3000); });
  }

  static test::Netns* hosts_;
  static test::Netns* guest_;
  static test::TestResolver* resolver_;
  static std::vector<std::unique_ptr<test::TestHttpServer>>* servers_;
  std::optional<test_support::TempDir> tmp_;
  std::filesystem::path dir_;
  std::unique_ptr<NetworkSwitch> sw_;
  std::unique_ptr<test::TapGuest> tap_;
};

test::Netns* NetnsEgress::hosts_ = nullptr;
test::Netns* NetnsEgress::guest_ = nullptr;
test::TestResolver* NetnsEgress::resolver_ = nullptr;
std::vector<std::unique_ptr<test::TestHttpServer>>* NetnsEgress::servers_ = nullptr;

TEST_F(NetnsEgress, AllowedNameIsFetched) {
  start(standard());
  auto answer = resolve("allowed.test");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->answers.size(), 1u);
  EXPECT_EQ(answer->answers[0].address->v4_value(), kAllowed);
  EXPECT_EQ(get(kAllowed, 80), "allowed");
}

TEST_F(NetnsEgress, ForbiddenNameGetsNxdomainAndTheResolverNeverSeesIt) {
  start(standard());
  std::string name = "0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef.exfil.test";
  auto answer = resolve(name);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->rcode(), kRcodeNxDomain);
  EXPECT_FALSE(resolver_->saw(name));
  EXPECT_EQ(resolve("forbidden.test")->rcode(), kRcodeNxDomain);
  EXPECT_FALSE(resolver_->saw("forbidden.test"));
}

TEST_F(NetnsEgress, ForbiddenServerByIpLiteralIsRefusedFast) {
  start(standard());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(connect(kForbidden, 80), Connect::kRefused);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST_F(NetnsEgress, AllowedNameOnAPortTheRuleDoesNotNameIsRefused) {
  start(standard());
  ASSERT_TRUE(resolve("allowed.test"));
  EXPECT_EQ(connect(kAllowed, 8080), Connect::kRefused);
  EXPECT_EQ(get(kAllowed, 80), "allowed");
}

TEST_F(NetnsEgress, MetadataAndHostLoopbackUnreachableUnderPermissive) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  start(p);
  EXPECT_EQ(get(kForbidden, 80), "forbidden");  // public addresses are open here
  EXPECT_EQ(connect(kMetadata, 80), Connect::kRefused);
  EXPECT_EQ(connect(kGatewayIp, 8082), Connect::kRefused);
  EXPECT_EQ(connect(kPrivate, 80), Connect::kRefused);
}

TEST_F(NetnsEgress, AllowHostPortOpensExactlyThatPort) {
  EgressPolicy p = standard();
  p.host_ports = {8081};
  start(p);
  auto answer = resolve("host.bbox.internal");
  ASSERT_TRUE(answer && answer->answers.size() == 1);
  EXPECT_EQ(answer->answers[0].address->v4_value(), kGatewayIp);
  EXPECT_EQ(get(kGatewayIp, 8081), "host-port");
  EXPECT_EQ(connect(kGatewayIp, 8082), Connect::kRefused);
}

TEST_F(NetnsEgress, WildcardAnswerIntoPrivateRangeStaysClosedButUserListedNameOpens) {
  EgressPolicy p = standard();
  p.user_hosts = {parse_host_rule("*.wild.test").value(), parse_host_rule("git.corp.test").value()};
  start(p);
  ASSERT_EQ(resolve("git.wild.test")->answers.size(), 1u);
  EXPECT_EQ(connect(kPrivate, 80), Connect::kRefused);
  ASSERT_EQ(resolve("git.corp.test")->answers.size(), 1u);
  EXPECT_EQ(get(kPrivate, 80), "private");
}

TEST_F(NetnsEgress, HostServiceIsReachableAtTheGateway) {
  start(standard());
  UnixHttpService service(dir_ / "svc.sock");
  ASSERT_TRUE(sw_->add_host_service(7000, dir_ / "svc.sock").ok());
  EXPECT_EQ(get(kGatewayIp, 7000), "service");
  EXPECT_EQ(connect(kGatewayIp, 7001), Connect::kRefused);
}

TEST_F(NetnsEgress, BlockedSummaryNamesWhatWasBlocked) {
  start(standard());
  EXPECT_EQ(resolve("forbidden.test")->rcode(), kRcodeNxDomain);
  EXPECT_EQ(connect(kForbidden, 80), Connect::kRefused);
  EXPECT_EQ(sw_->blocked_summary(), "blocked 2: forbidden.test (DNS), 198.51.100.20:80");
}

}  // namespace
}  // namespace bbox::net
