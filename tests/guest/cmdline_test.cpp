#include "cmdline.h"

#include <gtest/gtest.h>

namespace bbox::guest {
namespace {

TEST(BootCmdline, ReadsEveryBboxParameter) {
  std::string warn;
  BootConfig c = parse_cmdline(
      "console=ttyS0 quiet panic=-1 bbox.root=/dev/vdb bbox.rootfstype=erofs bbox.tmp=512 "
      "bbox.hostname=my-box bbox.ip=10.0.2.15/24 bbox.gw=10.0.2.2 bbox.dns=10.0.2.3\n",
      &warn);
  EXPECT_EQ(warn, "");
  EXPECT_EQ(c.root, "/dev/vdb");
  EXPECT_EQ(c.rootfstype, "erofs");
  EXPECT_EQ(c.tmp_mib, 512u);
  EXPECT_EQ(c.hostname, "my-box");
  EXPECT_EQ(c.ip, "10.0.2.15");
  EXPECT_EQ(c.prefix_len, 24);
  EXPECT_EQ(c.gateway, "10.0.2.2");
  EXPECT_EQ(c.dns, "10.0.2.3");
}

TEST(BootCmdline, WithoutNetworkParametersLeavesNetworkOff) {
  std::string warn;
  BootConfig c = parse_cmdline("console=ttyS0 bbox.tmp=64", &warn);
  EXPECT_EQ(c.ip, "");
  EXPECT_EQ(c.root, "/dev/vda");
  EXPECT_EQ(c.rootfstype, "ext4");
}

TEST(BootCmdline, RejectsMalformedValuesKeepingDefaults) {
  std::string warn;
  BootConfig c = parse_cmdline(
      "bbox.root=vda bbox.rootfstype=xfs bbox.tmp=12x bbox.hostname=a;b bbox.ip=10.0.2/24 "
      "bbox.gw=1.2.3.4.5 bbox.dns=256.1.1.1",
      &warn);
  EXPECT_EQ(c.root, "/dev/vda");
  EXPECT_EQ(c.rootfstype, "ext4");
  EXPECT_EQ(c.tmp_mib, 0u);
  EXPECT_EQ(c.hostname, "bbox");
  EXPECT_EQ(c.ip, "");
  EXPECT_EQ(c.gateway, "");
  EXPECT_EQ(c.dns, "");
  EXPECT_EQ(warn,
            "ignoring bad bbox.root\nignoring bad bbox.rootfstype\nignoring bad bbox.tmp\n"
            "ignoring bad bbox.hostname\nignoring bad bbox.ip\nignoring bad bbox.gw\n"
            "ignoring bad bbox.dns\n");
}

TEST(Ipv4, ParsesDottedQuadsOnly) {
  uint32_t v = 0;
  ASSERT_TRUE(parse_ipv4("10.0.2.15", &v));
  EXPECT_EQ(v, 0x0a00020fu);
  EXPECT_FALSE(parse_ipv4("10.0.2", &v));
  EXPECT_FALSE(parse_ipv4("10.0.2.15.1", &v));
  EXPECT_FALSE(parse_ipv4("10..2.15", &v));
  EXPECT_FALSE(parse_ipv4("10.0.2.0015", &v));
  EXPECT_FALSE(parse_ipv4("", &v));
}

}  // namespace
}  // namespace bbox::guest
