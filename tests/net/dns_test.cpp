#include "bbox/net/dns.h"

#include <gtest/gtest.h>

namespace bbox::net {
namespace {

std::vector<uint8_t> header(uint16_t qd, uint16_t an) {
  return {0x12, 0x34, 0x81, 0x80, 0, static_cast<uint8_t>(qd), 0, static_cast<uint8_t>(an),
          0,    0,    0,    0};
}

TEST(DnsParse, ReadsQueryItBuilt) {
  auto q = build_dns_query(0xbeef, "Api.Example.com", kDnsA);
  auto msg = parse_dns(q);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->id, 0xbeef);
  EXPECT_FALSE(msg->is_response());
  ASSERT_EQ(msg->questions.size(), 1u);
  EXPECT_EQ(msg->questions[0].name, "api.example.com");
  EXPECT_EQ(msg->questions[0].type, kDnsA);
}

TEST(DnsParse, RefusesSelfPointingCompression) {
  auto m = header(1, 0);
  m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns(m));
}

TEST(DnsParse, RefusesCompressionLoopThroughLabels) {
  auto m = header(1, 0);
  m.insert(m.end(), {1, 'a', 0xc0, 12, 0, 1, 0, 1});  // "a" then back to itself
  EXPECT_FALSE(parse_dns(m));
}

TEST(DnsParse, RefusesForwardPointer) {
  auto m = header(1, 0);
  m.insert(m.end(), {0xc0, 20, 0, 1, 0, 1, 0, 0, 1, 'a', 0});
  EXPECT_FALSE(parse_dns(m));
}

TEST(DnsParse, RefusesTruncatedLabelAndQuestion) {
  auto m = header(1, 0);
  m.insert(m.end(), {5, 'a', 'b'});
  EXPECT_FALSE(parse_dns(m));
  auto q = build_dns_query(1, "example.com", kDnsA);
  q.pop_back();
  EXPECT_FALSE(parse_dns(q));
}

TEST(DnsParse, RefusesNameOver255Bytes) {
  std::string name;
  for (int i = 0; i < 5; ++i) name += std::string(60, 'a') + ".";
  name += "com";
  EXPECT_FALSE(parse_dns(build_dns_query(1, name, kDnsA)));
}

TEST(DnsParse, RefusesDotOrControlByteInsideLabel) {
  auto m = header(1, 0);
  m.insert(m.end(), {3, 'a', '.', 'b', 0, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns(m));
  m = header(1, 0);
  m.insert(m.end(), {3, 'a', 0x07, 'b', 0, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns(m));
}

TEST(DnsParse, RefusesTooManyAnswers) {
  auto m = header(0, 65);
  EXPECT_FALSE(parse_dns(m));
}

TEST(DnsParse, FollowsBackwardCompressionInAnswers) {
  DnsReply r;
  r.id = 7;
  r.question = {"www.example.com", kDnsA};
  r.answers.push_back({"www.example.com", kDnsA, kDnsClassIn, 60, IpAddress::v4(0xc6336405)});
  auto bytes = build_dns_response(r);
  // Replace the answer's owner name with a pointer to the question (offset 12).
  size_t owner = 12 + 17 + 4;
  std::vector<uint8_t> m(bytes.begin(), bytes.begin() + owner);
  m.insert(m.end(), {0xc0, 12});
  m.insert(m.end(), bytes.begin() + owner + 17, bytes.end());
  auto msg = parse_dns(m);
  ASSERT_TRUE(msg);
  ASSERT_EQ(msg->answers.size(), 1u);
  EXPECT_EQ(msg->answers[0].name, "www.example.com");
  EXPECT_EQ(msg->answers[0].address->str(), "198.51.100.5");
}

DnsMessage answer_of(std::vector<DnsRecord> records) {
  DnsMessage m;
  m.answers = std::move(records);
  return m;
}

TEST(DnsChain, IgnoresAddressesOfOtherNames) {
  auto m = answer_of({{"a.test", kDnsA, kDnsClassIn, 60, IpAddress::v4(0x01020304), ""},
                      {"b.test", kDnsA, kDnsClassIn, 60, IpAddress::v4(0x05060708), ""}});
  auto chain = follow_chain(m, "a.test", kDnsA);
  ASSERT_EQ(chain.addresses.size(), 1u);
  EXPECT_EQ(chain.addresses[0].str(), "1.2.3.4");
}

TEST(DnsChain, FollowsCnameOnlyFromTheAskedName) {
  auto m = answer_of({{"a.test", kDnsCname, kDnsClassIn, 100, {}, "cdn.other"},
                      {"cdn.other", kDnsA, kDnsClassIn, 50, IpAddress::v4(0x01020304), ""},
                      {"x.test", kDnsCname, kDnsClassIn, 100, {}, "y.other"},
                      {"y.other", kDnsA, kDnsClassIn, 50, IpAddress::v4(0x09090909), ""}});
  auto chain = follow_chain(m, "a.test", kDnsA);
  ASSERT_EQ(chain.addresses.size(), 1u);
  EXPECT_EQ(chain.addresses[0].str(), "1.2.3.4");
  EXPECT_EQ(chain.records.size(), 2u);
  EXPECT_EQ(chain.min_ttl, 50u);
}

TEST(DnsChain, StopsAtCnameLoop) {
  auto m = answer_of({{"a.test", kDnsCname, kDnsClassIn, 100, {}, "b.test"},
                      {"b.test", kDnsCname, kDnsClassIn, 100, {}, "a.test"}});
  auto chain = follow_chain(m, "a.test", kDnsA);
  EXPECT_TRUE(chain.addresses.empty());
  EXPECT_LE(chain.records.size(), 9u);
}

TEST(DnsBuild, KeepsRepliesWithin512Bytes) {
  DnsReply r;
  r.question = {"many.test", kDnsA};
  for (uint32_t i = 0; i < 60; ++i) {
    r.answers.push_back({"many.test", kDnsA, kDnsClassIn, 60, IpAddress::v4(i), ""});
  }
  auto bytes = build_dns_response(r);
  EXPECT_LE(bytes.size(), kMaxUdpDnsReply);
  auto msg = parse_dns(bytes);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->answers.size(), (512u - 12 - 15) / 25);
}

}  // namespace
}  // namespace bbox::net
