#include "bbox/net/policy.h"

#include <gtest/gtest.h>

namespace bbox::net {
namespace {

using namespace std::chrono_literals;
using Clock = EgressRules::Clock;

HostRule rule(const char* text) { return parse_host_rule(text).value(); }
IpAddress ip(const char* text) { return parse_ip(text).value(); }

TEST(HostRule, RefusesIpLiteralsInEverySpelling) {
  for (const char* bad : {"127.1", "2130706433", "0x7f.1", "[::1]", "::ffff:127.0.0.1", "*",
                          "*.com", "example.com.", "10.0.0.1", "0177.0.0.1", "[::1]:80",
                          "1.2.3.4:80", "", "a..b", "bad_host!.com", "0x7f000001"}) {
    EXPECT_FALSE(parse_host_rule(bad).ok()) << bad;
  }
}

TEST(HostRule, AcceptsNamesPortsAndDeepWildcards) {
  auto r = rule("API.Example.com:8443");
  EXPECT_EQ(r.name, "api.example.com");
  EXPECT_EQ(r.port, 8443);
  auto w = rule("*.example.com");
  EXPECT_TRUE(w.wildcard);
  EXPECT_TRUE(w.matches("a.example.com"));
  EXPECT_TRUE(w.matches("a.b.example.com"));
  EXPECT_FALSE(w.matches("example.com"));
  EXPECT_FALSE(w.matches("badexample.com"));
  EXPECT_TRUE(parse_host_rule("1password.com").ok());
}

TEST(HostRule, RefusesPortZeroAndOverflow) {
  EXPECT_FALSE(parse_host_rule("a.example:0").ok());
  EXPECT_FALSE(parse_host_rule("a.example:65536").ok());
  EXPECT_FALSE(parse_host_rule("a.example:").ok());
}

TEST(AddressClass, NeverRangesCoverLoopbackLinkLocalAndMappedForms) {
  for (const char* a :
       {"127.0.0.1", "127.255.0.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "255.255.255.255", "::"}) {
    EXPECT_EQ(classify(ip(a)), AddressClass::kNever) << a;
  }
  for (const char* a : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                        "fd00::1", "::ffff:10.0.0.1"}) {
    EXPECT_EQ(classify(ip(a)), AddressClass::kPrivate) << a;
  }
  for (const char* a : {"198.51.100.7", "172.32.0.1", "8.8.4.4", "2001:db8::1"}) {
    EXPECT_EQ(classify(ip(a)), AddressClass::kPublic) << a;
  }
}

EgressPolicy standard_with(std::vector<HostRule> profile, std::vector<HostRule> user = {}) {
  EgressPolicy p;
  p.profile = Profile::kStandard;
  p.profile_hosts = std::move(profile);
  p.user_hosts = std::move(user);
  return p;
}

TEST(EgressRules, NamesOutsideTheListAreRefused) {
  EgressRules rules(standard_with({rule("api.anthropic.com:443")}));
  EXPECT_TRUE(rules.check_name("api.anthropic.com").allowed);
  EXPECT_FALSE(rules.check_name("evil.example").allowed);
  EXPECT_FALSE(rules.check_name(std::string(64, 'a') + ".exfil.example").allowed);
}

TEST(EgressRules, AddressOpensOnlyTheRulesPortsAfterLearning) {
  EgressRules rules(standard_with({rule("github.com:443"), rule("github.com:22")}));
  auto now = Clock::now();
  auto addr = ip("198.51.100.10");
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, addr, 443, now).allowed);

  rules.learn(rules.check_name("github.com"), std::vector{addr}, 60, now);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, addr, 443, now).allowed);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, addr, 22, now).allowed);
  auto other = rules.check_connection(Transport::kTcp, addr, 80, now);
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.reason, "port not allowed for this host");
  EXPECT_TRUE(rules.check_connection(Transport::kIcmp, addr, 0, now).allowed);
}

TEST(EgressRules, WeekLongTtlStillExpiresWithinMinutes) {
  EgressRules rules(standard_with({rule("a.example")}));
  auto now = Clock::now();
  auto addr = ip("198.51.100.10");
  EXPECT_EQ(rules.learn(rules.check_name("a.example"), std::vector{addr}, 604800, now), 300u);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, addr, 443, now + 299s).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, addr, 443, now + 301s).allowed);
}

TEST(EgressRules, ZeroTtlIsRaisedToTheMinimum) {
  EgressRules rules(standard_with({rule("a.example")}));
  EXPECT_EQ(rules.learn(rules.check_name("a.example"), {}, 0, Clock::now()), 30u);
}

TEST(EgressRules, WildcardAnswerIntoPrivateRangeDoesNotOpenIt) {
  EgressRules rules(standard_with({}, {rule("*.corp.test")}));
  auto now = Clock::now();
  auto addr = ip("10.99.0.5");
  rules.learn(rules.check_name("git.corp.test"), std::vector{addr}, 60, now);
  auto v = rules.check_connection(Transport::kTcp, addr, 80, now);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, "private address not resolved through a name the user listed");
}

TEST(EgressRules, UserListedNameOpensPrivateAddress) {
  EgressRules rules(standard_with({}, {rule("git.corp.test")}));
  auto now = Clock::now();
  auto addr = ip("10.99.0.5");
  rules.learn(rules.check_name("git.corp.test"), std::vector{addr}, 60, now);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, addr, 80, now).allowed);
}

TEST(EgressRules, ProfileNameAnsweringIntoPrivateRangeDoesNotOpenIt) {
  EgressRules rules(standard_with({rule("registry.npmjs.org")}));
  auto now = Clock::now();
  auto addr = ip("192.168.1.10");
  rules.learn(rules.check_name("registry.npmjs.org"), std::vector{addr}, 60, now);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, addr, 443, now).allowed);
}

TEST(EgressRules, NothingOpensLoopbackOrMetadataEvenUserListedUnderPermissive) {
  EgressPolicy p = standard_with({}, {rule("meta.test")});
  p.profile = Profile::kPermissive;
  EgressRules rules(p);
  auto now = Clock::now();
  auto meta = ip("169.254.169.254"), lo = ip("127.0.0.1"), mapped = ip("::ffff:127.0.0.1");
  rules.learn(rules.check_name("meta.test"), std::vector{meta, lo}, 60, now);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, meta, 80, now).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, lo, 80, now).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, mapped, 80, now).allowed);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, ip("198.51.100.20"), 80, now).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, ip("10.1.1.1"), 80, now).allowed);
}

TEST(EgressRules, DnsAndDotToOtherServersAreRefusedEvenPermissive) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  EgressRules rules(p);
  auto now = Clock::now();
  EXPECT_FALSE(rules.check_connection(Transport::kUdp, ip("198.51.100.53"), 53, now).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, ip("198.51.100.53"), 53, now).allowed);
  EXPECT_FALSE(rules.check_connection(Transport::kTcp, ip("198.51.100.53"), 853, now).allowed);
}

TEST(EgressRules, Ipv6RefusedUnlessPolicyAllowsIt) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  EgressRules closed(p);
  auto now = Clock::now();
  EXPECT_FALSE(closed.check_connection(Transport::kTcp, ip("2001:db8::1"), 443, now).allowed);
  p.allow_ipv6 = true;
  EgressRules open(p);
  EXPECT_TRUE(open.check_connection(Transport::kTcp, ip("2001:db8::1"), 443, now).allowed);
  EXPECT_FALSE(open.check_connection(Transport::kTcp, ip("fe80::1"), 443, now).allowed);
}

TEST(EgressRules, FullAllowSetForgetsTheOldestAddress) {
  EgressRules rules(standard_with({rule("a.example")}), 3);
  auto now = Clock::now();
  auto v = rules.check_name("a.example");
  for (uint32_t i = 1; i <= 4; ++i) {
    rules.learn(v, std::vector{IpAddress::v4(0xc6336400 + i)}, 60, now + std::chrono::seconds(i));
  }
  EXPECT_EQ(rules.allow_set_size(), 3u);
  auto later = now + 10s;
  EXPECT_FALSE(
      rules.check_connection(Transport::kTcp, IpAddress::v4(0xc6336401), 1, later).allowed);
  EXPECT_TRUE(rules.check_connection(Transport::kTcp, IpAddress::v4(0xc6336404), 1, later).allowed);
}

TEST(EgressRules, LockedProfileAllowsOnlyItsList) {
  EgressPolicy p;
  p.profile = Profile::kLocked;
  p.profile_hosts = {rule("api.anthropic.com:443")};
  EgressRules rules(p);
  EXPECT_TRUE(rules.check_name("api.anthropic.com").allowed);
  EXPECT_FALSE(rules.check_name("github.com").allowed);
}

TEST(ResolvConf, ReadsFirstNameserver) {
  char path[] = "/tmp/bbox-resolv-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "# comment\nsearch x\nnameserver 198.51.100.53\nnameserver 1.1.1.1\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto r = read_resolv_conf(path);
  unlink(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->addr.str(), "198.51.100.53");
}

}  // namespace
}  // namespace bbox::net
