#include "bbox/net/packet.h"

#include <gtest/gtest.h>

#include "net_test_frames.h"

namespace bbox::net {
namespace {

TEST(PacketParse, ReadsTcpSynToPort443) {
  auto frame = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn);
  auto f = parse_frame(frame);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->ip && f->tcp);
  EXPECT_EQ(f->ip->dst.str(), "198.51.100.20");
  EXPECT_EQ(f->tcp->dst_port, 443);
  EXPECT_EQ(f->tcp->flags, kTcpSyn);
}

TEST(PacketParse, RefusesEveryTruncation) {
  auto frame = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn);
  for (size_t n = 0; n < frame.size(); ++n) {
    EXPECT_FALSE(parse_frame(Bytes(frame.data(), n))) << n;
  }
}

TEST(PacketParse, RefusesIpTotalLengthBeyondFrame) {
  auto frame = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn);
  frame[14 + 2] = 0x05;  // total length 0x05xx > frame
  EXPECT_FALSE(parse_frame(frame));
}

TEST(PacketParse, RefusesIpHeaderLengthBelowTwenty) {
  auto frame = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn);
  frame[14] = 0x44;
  EXPECT_FALSE(parse_frame(frame));
}

TEST(PacketParse, RefusesOversizeFrame) {
  std::vector<uint8_t> frame(kMaxFrame + 1, 0);
  EXPECT_FALSE(parse_frame(frame));
}

TEST(PacketParse, MarksFragments) {
  auto frame = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn);
  frame[14 + 6] = 0x20;  // MF
  auto f = parse_frame(frame);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->ip->fragment);
  EXPECT_FALSE(f->tcp);
}

TEST(PacketBuild, ResetAnswersSynWithAckOfSeqPlusOne) {
  auto syn = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn, 1000);
  auto f = parse_frame(syn);
  ASSERT_TRUE(f);
  auto rst = parse_frame(build_tcp_reset(*f, test::kGatewayMac));
  ASSERT_TRUE(rst && rst->tcp);
  EXPECT_EQ(rst->ip->src.str(), "198.51.100.20");
  EXPECT_EQ(rst->ip->dst.str(), "10.0.2.15");
  EXPECT_EQ(rst->tcp->src_port, 443);
  EXPECT_EQ(rst->tcp->dst_port, 40000);
  EXPECT_EQ(rst->tcp->flags, kTcpRst | kTcpAck);
  EXPECT_EQ(rst->tcp->ack, 1001u);
  EXPECT_EQ(rst->eth.dst, test::kGuestMac);
}

TEST(PacketBuild, ChecksumsVerifyToZero) {
  auto syn = test::tcp4_frame(0x0a00020f, 0xc6336414, 40000, 443, kTcpSyn, 1000);
  auto rst = build_tcp_reset(*parse_frame(syn), test::kGatewayMac);
  auto f = parse_frame(rst);
  EXPECT_EQ(internet_checksum(f->ip->header), 0);
  uint32_t pseudo = 0x0a00 + 0x020f + 0xc633 + 0x6414 + kProtoTcp + 20;
  EXPECT_EQ(internet_checksum(f->ip->payload, pseudo), 0);
}

TEST(PacketBuild, IcmpProhibitedQuotesTheDatagram) {
  auto udp = test::udp4_frame(0x0a00020f, 0xc6336414, 5000, 9999, {1, 2, 3});
  auto reply = parse_frame(build_icmp_prohibited(*parse_frame(udp), test::kGatewayMac));
  ASSERT_TRUE(reply && reply->icmp);
  EXPECT_EQ(reply->icmp->type, 3);
  EXPECT_EQ(reply->icmp->code, 13);
  EXPECT_EQ(reply->ip->payload.size(), 8u + 20 + 8);
}

}  // namespace
}  // namespace bbox::net
