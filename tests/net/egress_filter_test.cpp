// Crafted guest frames through the EgressFilter: no sockets, no VM.
#include "bbox/net/egress_filter.h"

#include <gtest/gtest.h>

#include "bbox/net/dns.h"
#include "net_test_frames.h"

namespace bbox::net {
namespace {

using namespace std::chrono_literals;
constexpr uint32_t kAllowedIp = 0xc633640a;    // 198.51.100.10
constexpr uint32_t kForbiddenIp = 0xc6336414;  // 198.51.100.20

struct Harness {
  std::vector<std::string> log;
  AuditLog audit{[this](std::string_view l) { log.emplace_back(l); }};
  std::vector<std::vector<uint8_t>> to_guest;
  std::vector<std::vector<uint8_t>> upstream;
  EgressFilter filter;
  EgressFilter::Clock::time_point now = EgressFilter::Clock::now();

  explicit Harness(EgressPolicy p)
      : filter(std::move(p), audit,
               {[this](std::vector<uint8_t> f) { to_guest.push_back(std::move(f)); },
                [this](Bytes d) {
                  upstream.emplace_back(d.begin(), d.end());
                  return 0;
                }}) {}

  bool send(std::vector<uint8_t> frame) { return filter.from_guest(frame, now); }

  void query(const char* name, uint16_t type = kDnsA, uint16_t id = 0x4242) {
    send(test::udp4_frame(kGuestIp, kResolverIp, 33333, 53, build_dns_query(id, name, type)));
  }

  DnsMessage last_dns_reply() {
    auto f = parse_frame(to_guest.back());
    EXPECT_TRUE(f && f->udp);
    EXPECT_EQ(f->ip->src.v4_value(), kResolverIp);
    EXPECT_EQ(f->udp->dst_port, 33333);
    return parse_dns(f->udp->payload).value();
  }

  // Answers the last upstream query with `records`.
  void answer(std::vector<DnsRecord> records, uint8_t rcode = kRcodeNoError) {
    auto q = parse_dns(upstream.back()).value();
    DnsReply r{q.id, true, q.questions[0], rcode, std::move(records)};
    filter.from_upstream(build_dns_response(r), now);
  }
};

EgressPolicy standard() {
  EgressPolicy p;
  p.profile_hosts = {parse_host_rule("allowed.test:80").value()};
  p.user_hosts = {parse_host_rule("git.corp.test").value(), parse_host_rule("*.wild.test").value()};
  p.host_ports = {8081};
  return p;
}

DnsRecord a(const char* name, uint32_t ip, uint32_t ttl = 60) {
  return {name, kDnsA, kDnsClassIn, ttl, IpAddress::v4(ip), ""};
}

TEST(EgressFilter, ForbiddenNameGetsNxdomainAndNeverGoesUpstream) {
  Harness h(standard());
  h.query((std::string(32, 'e') + "." + std::string(32, 'f') + ".exfil.example").c_str());
  EXPECT_TRUE(h.upstream.empty());
  auto reply = h.last_dns_reply();
  EXPECT_EQ(reply.rcode(), kRcodeNxDomain);
  EXPECT_EQ(reply.id, 0x4242);
  EXPECT_NE(h.audit.blocked_summary().find(".exfil.example (DNS)"), std::string::npos);
}

TEST(EgressFilter, AllowedNameIsAskedUpstreamAndOpensItsAddress) {
  Harness h(standard());
  h.query("allowed.test");
  ASSERT_EQ(h.upstream.size(), 1u);
  auto q = parse_dns(h.upstream[0]).value();
  EXPECT_EQ(q.questions[0].name, "allowed.test");
  h.answer({a("allowed.test", kAllowedIp, 604800), a("other.test", kForbiddenIp)});

  auto reply = h.last_dns_reply();
  EXPECT_EQ(reply.id, 0x4242);
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].address->v4_value(), kAllowedIp);
  EXPECT_EQ(reply.answers[0].ttl, 300u);

  h.to_guest.clear();
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, kAllowedIp, 40000, 80, kTcpSyn)));
  EXPECT_TRUE(h.to_guest.empty());
}

TEST(EgressFilter, ExtraRecordsForOtherNamesOpenNothing) {
  Harness h(standard());
  h.query("allowed.test");
  h.answer({a("allowed.test", kAllowedIp), a("other.test", kForbiddenIp)});
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40000, 80, kTcpSyn)));
}

TEST(EgressFilter, ForbiddenAddressGetsResetAtOnce) {
  Harness h(standard());
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40000, 443, kTcpSyn)));
  ASSERT_EQ(h.to_guest.size(), 1u);
  auto rst = parse_frame(h.to_guest[0]);
  ASSERT_TRUE(rst && rst->tcp);
  EXPECT_EQ(rst->tcp->flags, kTcpRst | kTcpAck);
  EXPECT_EQ(h.audit.blocked_summary(), "blocked 1: 198.51.100.20:443");
}

TEST(EgressFilter, AllowedNameOnAnotherPortIsRefused) {
  Harness h(standard());
  h.query("allowed.test");
  h.answer({a("allowed.test", kAllowedIp)});
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kAllowedIp, 40000, 8080, kTcpSyn)));
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, kAllowedIp, 40001, 80, kTcpSyn)));
}

TEST(EgressFilter, UdpToForbiddenAddressGetsIcmpProhibited) {
  Harness h(standard());
  EXPECT_FALSE(h.send(test::udp4_frame(kGuestIp, kForbiddenIp, 5000, 9999, {1})));
  auto reply = parse_frame(h.to_guest.at(0));
  ASSERT_TRUE(reply && reply->icmp);
  EXPECT_EQ(reply->icmp->code, 13);
}

TEST(EgressFilter, DnsToAnotherServerIsRefusedEvenPermissive) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  Harness h(p);
  EXPECT_FALSE(h.send(
      test::udp4_frame(kGuestIp, kForbiddenIp, 5000, 53, build_dns_query(1, "x.test", kDnsA))));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40000, 853, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kResolverIp, 40000, 53, kTcpSyn)));
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40000, 443, kTcpSyn)));
}

TEST(EgressFilter, GatewayOpensOnlyTheAllowedHostPort) {
  Harness h(standard());
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, kGatewayIp, 40000, 8081, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kGatewayIp, 40000, 8080, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kNetwork | 5, 40000, 8081, kTcpSyn)));
  EXPECT_EQ(h.audit.blocked_summary(), "blocked 2: 10.0.2.2:8080 (host), 10.0.2.5:8081 (host)");
}

TEST(EgressFilter, HostNameResolvesToTheGateway) {
  Harness h(standard());
  h.query("host.bbox.internal");
  auto reply = h.last_dns_reply();
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].address->v4_value(), kGatewayIp);
  EXPECT_TRUE(h.upstream.empty());
}

TEST(EgressFilter, ServicePortIsRewrittenToTheServicesAddressAndBack) {
  Harness h(standard());
  h.filter.add_service_port(7000);
  auto syn = test::tcp4_frame(kGuestIp, kGatewayIp, 40000, 7000, kTcpSyn);
  std::vector<uint8_t> frame = syn;
  ASSERT_TRUE(h.filter.from_guest(frame, h.now));
  auto out = parse_frame(frame);
  EXPECT_EQ(out->ip->dst.v4_value(), kServicesIp);
  EXPECT_EQ(internet_checksum(out->ip->header), 0);

  auto back = test::tcp4_frame(kServicesIp, kGuestIp, 7000, 40000, kTcpSyn | kTcpAck);
  h.filter.from_slirp(back);
  EXPECT_EQ(parse_frame(back)->ip->src.v4_value(), kGatewayIp);
}

TEST(EgressFilter, MetadataAndLoopbackRefusedUnderPermissive) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  Harness h(p);
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, 0xa9fea9fe, 40000, 80, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, 0x7f000001, 40000, 80, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kGatewayIp, 40000, 80, kTcpSyn)));
  EXPECT_EQ(h.to_guest.size(), 3u);
}

TEST(EgressFilter, WildcardNameIntoPrivateRangeStaysClosedButUserNameOpens) {
  Harness h(standard());
  h.query("git.wild.test");
  h.answer({a("git.wild.test", 0x0a630005)});
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, 0x0a630005, 40000, 80, kTcpSyn)));
  h.query("git.corp.test");
  h.answer({a("git.corp.test", 0x0a630005)});
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, 0x0a630005, 40001, 80, kTcpSyn)));
}

TEST(EgressFilter, SilentResolverGivesServfailAfterTheTimeout) {
  Harness h(standard());
  h.query("allowed.test");
  ASSERT_EQ(h.upstream.size(), 1u);
  h.filter.expire(h.now + 1s);
  EXPECT_TRUE(h.to_guest.empty());
  h.filter.expire(h.now + 4s);
  EXPECT_EQ(h.last_dns_reply().rcode(), kRcodeServFail);
}

TEST(EgressFilter, AnswerWithWrongIdOrQuestionIsIgnored) {
  Harness h(standard());
  h.query("allowed.test");
  auto q = parse_dns(h.upstream.back()).value();
  DnsReply wrong{
      static_cast<uint16_t>(q.id + 1), true, q.questions[0], 0, {a("allowed.test", kAllowedIp)}};
  h.filter.from_upstream(build_dns_response(wrong), h.now);
  DnsReply other{q.id, true, {"evil.test", kDnsA}, 0, {a("evil.test", kForbiddenIp)}};
  h.filter.from_upstream(build_dns_response(other), h.now);
  EXPECT_TRUE(h.to_guest.empty());
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40000, 80, kTcpSyn)));
}

TEST(EgressFilter, QueryFloodKeepsPendingBoundedAndAnswersEveryone) {
  Harness h(standard());
  for (int i = 0; i < 300; ++i) h.query("allowed.test", kDnsA, static_cast<uint16_t>(i));
  EXPECT_EQ(h.upstream.size(), 300u);
  EXPECT_EQ(h.to_guest.size(), 300u - 256u);  // the oldest got SERVFAIL
  h.filter.expire(h.now + 10s);
  EXPECT_EQ(h.to_guest.size(), 300u);
}

TEST(EgressFilter, MalformedFramesAreCountedAndDropped) {
  Harness h(standard());
  auto frame = test::tcp4_frame(kGuestIp, kAllowedIp, 40000, 80, kTcpSyn);
  for (size_t n = 0; n < frame.size(); ++n) {
    EXPECT_FALSE(h.send(std::vector<uint8_t>(frame.begin(), frame.begin() + n)));
  }
  EXPECT_EQ(h.audit.malformed_count(), frame.size());
  EXPECT_TRUE(h.to_guest.empty());
}

TEST(EgressFilter, Ipv6IsDroppedWithoutPolicy) {
  Harness h(standard());
  std::vector<uint8_t> f(test::kGatewayMac.begin(), test::kGatewayMac.end());
  f.insert(f.end(), test::kGuestMac.begin(), test::kGuestMac.end());
  f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 59, 64});
  f.resize(f.size() + 32, 1);
  EXPECT_FALSE(h.send(f));
}

TEST(AuditLog, RateLimitsGuestTriggeredLines) {
  std::vector<std::string> lines;
  AuditLog audit([&](std::string_view l) { lines.emplace_back(l); }, 1, 5);
  for (int i = 0; i < 100; ++i) audit.blocked("x:1", "net: block x:1");
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(audit.suppressed_count(), 95u);
  EXPECT_EQ(audit.blocked_summary(), "blocked 1: x:1");
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

std::vector<uint8_t> ip6_frame(const char* src, const char* dst, uint8_t proto,
                               std::vector<uint8_t> l4) {
  std::vector<uint8_t> f(test::kGatewayMac.begin(), test::kGatewayMac.end());
  f.insert(f.end(), test::kGuestMac.begin(), test::kGuestMac.end());
  f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0});
  test::push16(f, static_cast<uint16_t>(l4.size()));
  f.insert(f.end(), {proto, 64});
  auto s = parse_ip(src).value(), d = parse_ip(dst).value();
  f.insert(f.end(), s.bytes.begin(), s.bytes.end());
  f.insert(f.end(), d.bytes.begin(), d.bytes.end());
  f.insert(f.end(), l4.begin(), l4.end());
  fix_checksums(f);
  return f;
}

std::vector<uint8_t> syn6(uint16_t port) {
  std::vector<uint8_t> t;
  test::push16(t, 40000);
  test::push16(t, port);
  test::push32(t, 1);
  test::push32(t, 0);
  t.insert(t.end(), {0x50, kTcpSyn, 0xff, 0xff, 0, 0, 0, 0});
  return t;
}

TEST(EgressFilterIpv6, WhenAllowedIsFilteredLikeIpv4) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  p.allow_ipv6 = true;
  std::vector<std::vector<uint8_t>> out;
  AuditLog audit(nullptr);
  EgressFilter filter(p, audit, {[&](std::vector<uint8_t> f) { out.push_back(f); }, nullptr});
  auto now = EgressFilter::Clock::now();

  auto ok = ip6_frame("fec0::15", "2001:db8::10", kProtoTcp, syn6(443));
  EXPECT_TRUE(filter.from_guest(ok, now));
  auto lo = ip6_frame("fec0::15", "::1", kProtoTcp, syn6(22));
  EXPECT_FALSE(filter.from_guest(lo, now));
  auto mapped = ip6_frame("fec0::15", "::ffff:169.254.169.254", kProtoTcp, syn6(80));
  EXPECT_FALSE(filter.from_guest(mapped, now));
  ASSERT_EQ(out.size(), 2u);
  auto rst = parse_frame(out[0]);
  ASSERT_TRUE(rst && rst->tcp);
  EXPECT_EQ(rst->tcp->flags, kTcpRst | kTcpAck);
  EXPECT_EQ(rst->ip->src.str(), "::1");

  auto solicit = ip6_frame("fe80::1", "ff02::2", kProtoIcmp6, {133, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(filter.from_guest(solicit, now));
  EXPECT_EQ(audit.blocked_summary(), "blocked 2: [::1]:22, [::ffff:169.254.169.254]:80");
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterFlood, SynFloodIsCutAfterTheBurstAndRecovers) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  std::vector<std::vector<uint8_t>> out;
  AuditLog audit(nullptr);
  EgressFilter filter(p, audit, {[&](std::vector<uint8_t> f) { out.push_back(f); }, nullptr});
  auto now = EgressFilter::Clock::now();
  int passed = 0;
  for (int i = 0; i < 1500; ++i) {
    auto syn =
        test::tcp4_frame(kGuestIp, 0xc633640a, static_cast<uint16_t>(10000 + i), 443, kTcpSyn);
    passed += filter.from_guest(syn, now) ? 1 : 0;
  }
  EXPECT_EQ(passed, static_cast<int>(EgressFilter::kSynBurst));
  EXPECT_EQ(out.size(), 500u);
  auto later = test::tcp4_frame(kGuestIp, 0xc633640a, 9999, 443, kTcpSyn);
  EXPECT_TRUE(filter.from_guest(later, now + std::chrono::seconds(1)));
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterNoise, MulticastAndBroadcastAreDroppedWithoutALogLine) {
  Harness h(standard());
  EXPECT_FALSE(h.send(test::udp4_frame(kGuestIp, 0xe00000fb, 5353, 5353, {0})));
  EXPECT_FALSE(h.send(test::udp4_frame(kGuestIp, 0xffffffff, 68, 67, {0})));
  EXPECT_TRUE(h.to_guest.empty());
  EXPECT_TRUE(h.log.empty());
  EXPECT_EQ(h.audit.blocked_summary(), "");
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterDns, LocalAnswerWaitsForTheForwardedQueryWithTheSameId) {
  Harness h(standard());
  h.query("allowed.test", kDnsA, 7);
  h.query("allowed.test", kDnsAaaa, 7);  // same id, answered locally (no IPv6)
  EXPECT_TRUE(h.to_guest.empty());
  h.answer({a("allowed.test", kAllowedIp)});
  ASSERT_EQ(h.to_guest.size(), 2u);
  auto first = parse_dns(parse_frame(h.to_guest[0])->udp->payload).value();
  auto second = parse_dns(parse_frame(h.to_guest[1])->udp->payload).value();
  EXPECT_EQ(first.questions[0].type, kDnsA);
  EXPECT_EQ(first.answers.size(), 1u);
  EXPECT_EQ(second.questions[0].type, kDnsAaaa);
  EXPECT_TRUE(second.answers.empty());
}

TEST(EgressFilterDns, LocalAnswerWithADifferentIdGoesAtOnce) {
  Harness h(standard());
  h.query("allowed.test", kDnsA, 7);
  h.query("allowed.test", kDnsAaaa, 8);
  EXPECT_EQ(h.to_guest.size(), 1u);
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterDns, CnameOutsideTheListOpensOnlyItsOwnChain) {
  Harness h(standard());
  h.query("allowed.test");
  h.answer({{"allowed.test", kDnsCname, kDnsClassIn, 60, {}, "cdn.elsewhere.example"},
            a("cdn.elsewhere.example", 0xc6336463),
            a("unrelated.example", kForbiddenIp)});
  auto reply = h.last_dns_reply();
  ASSERT_EQ(reply.answers.size(), 2u);
  EXPECT_EQ(reply.answers[0].target, "cdn.elsewhere.example");
  EXPECT_EQ(reply.answers[1].address->v4_value(), 0xc6336463u);
  EXPECT_TRUE(h.send(test::tcp4_frame(kGuestIp, 0xc6336463, 40000, 80, kTcpSyn)));
  EXPECT_FALSE(h.send(test::tcp4_frame(kGuestIp, kForbiddenIp, 40001, 80, kTcpSyn)));
  // The CNAME target itself is no allowed name.
  h.query("cdn.elsewhere.example");
  EXPECT_EQ(h.last_dns_reply().rcode(), kRcodeNxDomain);
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterFlood, UdpSourcePortsAreCappedUntilOldFlowsExpire) {
  EgressPolicy p;
  p.profile = Profile::kPermissive;
  std::vector<std::vector<uint8_t>> out;
  AuditLog audit(nullptr);
  EgressFilter filter(p, audit, {[&](std::vector<uint8_t> f) { out.push_back(f); }, nullptr});
  auto now = EgressFilter::Clock::now();
  auto datagram = [](int port) {
    return test::udp4_frame(kGuestIp, 0xc633640a, static_cast<uint16_t>(port), 443, {1});
  };
  int passed = 0;
  for (int i = 0; i < 300; ++i) {
    auto d = datagram(20000 + i);
    passed += filter.from_guest(d, now) ? 1 : 0;
  }
  EXPECT_EQ(passed, static_cast<int>(EgressFilter::kMaxUdpFlows));
  auto known = datagram(20000);
  EXPECT_TRUE(filter.from_guest(known, now + std::chrono::seconds(1)));
  auto fresh = datagram(30000);
  EXPECT_FALSE(filter.from_guest(fresh, now + std::chrono::seconds(1)));
  EXPECT_TRUE(filter.from_guest(fresh, now + std::chrono::seconds(250)));
}

}  // namespace
}  // namespace bbox::net

namespace bbox::net {
namespace {

TEST(EgressFilterDns, AnswerOnAnotherUpstreamSocketIsIgnored) {
  Harness h(standard());
  h.query("allowed.test");
  auto q = parse_dns(h.upstream.back()).value();
  DnsReply r{q.id, true, q.questions[0], 0, {a("allowed.test", kAllowedIp)}};
  h.filter.from_upstream(build_dns_response(r), h.now, 1);  // the query went out on 0
  EXPECT_TRUE(h.to_guest.empty());
  h.filter.from_upstream(build_dns_response(r), h.now, 0);
  EXPECT_EQ(h.to_guest.size(), 1u);
}

}  // namespace
}  // namespace bbox::net
