#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "image/layer.h"
#include "image/support/image_test_helpers.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

// A root to unpack into, and a sibling directory no layer may touch.
class LayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root());
    fs::create_directories(outside());
    write_file(outside() / "passwd", "host passwd\n");
  }
  fs::path root() const { return work_.path() / "a" / "root"; }
  fs::path outside() const { return work_.path() / "a" / "outside"; }

  Status apply(const std::vector<TarEntry>& entries, Compression c = Compression::kGzip) {
    fs::path layer = work_.path() / ("layer" + std::to_string(n_++));
    std::ofstream(layer, std::ios::binary) << make_tar(entries, c);
    return apply_layer(root(), layer, "test-layer", limits_, stats_);
  }
  void expect_outside_untouched() {
    EXPECT_EQ(read_file(outside() / "passwd"), "host passwd\n");
    EXPECT_EQ(std::distance(fs::directory_iterator(outside()), fs::directory_iterator()), 1);
  }

  TempDir work_;
  UnpackLimits limits_;
  UnpackStats stats_;
  int n_ = 0;
};

TEST_F(LayerTest, WritesFilesLinksAndModesAsTheHeadersSay) {
  Status s = apply({{"usr/bin/tool", 'f', "tool\n", "", 04755},
                    {"usr/bin/alias", 'l', "", "tool"},
                    {"usr/bin/hard", 'h', "", "usr/bin/tool"},
                    {"secret", 'd', "", "", 0700},
                    {"secret/key", 'f', "k", "", 0600}});
  ASSERT_TRUE(s.ok()) << s.error().message;

  struct stat st;
  ASSERT_EQ(::stat((root() / "usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(fs::read_symlink(root() / "usr/bin/alias"), "tool");
  EXPECT_EQ(fs::status(root() / "secret").permissions(), fs::perms::owner_all);
  EXPECT_EQ(read_file(root() / "usr/bin/hard"), "tool\n");
  ASSERT_EQ(::stat((root() / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);  // as the header says, though an entry was added after
}

TEST_F(LayerTest, SetsOwnersFromTheHeaders) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (or a user namespace) to set owners";
  ASSERT_TRUE(apply({{"home/u/f", 'f', "x", "", 0640, 1000, 1001}}).ok());
  struct stat st;
  ASSERT_EQ(::stat((root() / "home/u/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(LayerTest, WhiteoutsRemoveLowerEntriesAndOpaqueDirectoriesEmpty) {
  ASSERT_TRUE(
      apply({{"etc/old", 'f', "old"}, {"opt/d/a", 'f', "a"}, {"opt/d/sub/b", 'f', "b"}}).ok());
  Status s = apply({{"etc/.wh.old", 'f'}, {"opt/d/new", 'f', "n"}, {"opt/d/.wh..wh..opq", 'f'}},
                   Compression::kZstd);
  ASSERT_TRUE(s.ok()) << s.error().message;

  EXPECT_FALSE(fs::exists(root() / "etc/old"));
  EXPECT_FALSE(fs::exists(root() / "etc/.wh.old"));
  EXPECT_FALSE(fs::exists(root() / "opt/d/a"));
  EXPECT_FALSE(fs::exists(root() / "opt/d/sub"));
  EXPECT_EQ(read_file(root() / "opt/d/new"), "n");  // same layer: kept
  EXPECT_FALSE(fs::exists(root() / "opt/d/.wh..wh..opq"));
}

TEST_F(LayerTest, RefusesDotDotPaths) {
  Status s = apply({{"../../outside/passwd", 'f', "owned\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "apply layer test-layer: refuse entry '../../outside/passwd': the path climbs out "
            "with '..'");
  expect_outside_untouched();
}

TEST_F(LayerTest, RefusesAbsolutePaths) {
  std::string target = (outside() / "passwd").string();
  Status s = apply({{target, 'f', "owned\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("the path is absolute"), std::string::npos);
  expect_outside_untouched();
}

TEST_F(LayerTest, RefusesToWriteThroughASymlinkPlantedEarlier) {
  Status s = apply({{"evil", 'l', "", "../outside"}, {"evil/passwd", 'f', "owned\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "apply layer test-layer: refuse entry 'evil/passwd': its parent 'evil' is a "
            "symbolic link");
  expect_outside_untouched();
}

TEST_F(LayerTest, RefusesToWriteThroughASymlinkFromALowerLayer) {
  ASSERT_TRUE(apply({{"etc", 'l', "", (outside()).string()}}).ok());
  Status s = apply({{"etc/passwd", 'f', "owned\n"}});
  ASSERT_FALSE(s.ok());
  expect_outside_untouched();
}

TEST_F(LayerTest, ReplacesASymlinkInsteadOfFollowingIt) {
  Status s =
      apply({{"passwd", 'l', "", (outside() / "passwd").string()}, {"passwd", 'f', "inside\n"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(fs::is_symlink(root() / "passwd"));
  EXPECT_EQ(read_file(root() / "passwd"), "inside\n");
  expect_outside_untouched();
}

TEST_F(LayerTest, RefusesHardLinksToFilesOutsideTheRoot) {
  Status s = apply({{"stolen", 'h', "", "../outside/passwd"}});
  ASSERT_FALSE(s.ok());
  Status t = apply({{"stolen", 'h', "", (outside() / "passwd").string()}});
  ASSERT_FALSE(t.ok());
  EXPECT_FALSE(fs::exists(root() / "stolen"));
}

TEST_F(LayerTest, SkipsDeviceNodesAndFifos) {
  ASSERT_TRUE(apply({{"dev/null", 'c'}, {"run/fifo", 'p'}, {"ok", 'f', "y"}}).ok());
  EXPECT_FALSE(fs::exists(root() / "dev/null"));
  EXPECT_FALSE(fs::exists(root() / "run/fifo"));
  EXPECT_EQ(stats_.skipped_special, 2u);
}

TEST_F(LayerTest, EnforcesTheEntryAndSizeCaps) {
  limits_.max_entries = 2;
  Status s = apply({{"a", 'f'}, {"b", 'f'}, {"c", 'f'}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("more than 2 entries"), std::string::npos);

  limits_ = UnpackLimits{};
  limits_.max_bytes = 10;
  stats_ = UnpackStats{};
  Status t = apply({{"big", 'f', std::string(11, 'x')}});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("exceed 10 bytes"), std::string::npos);
}

TEST_F(LayerTest, RefusesALayerThatIsNotATar) {
  fs::path layer = work_.path() / "junk";
  std::ofstream(layer) << std::string(4096, 'j');
  Status s = apply_layer(root(), layer, "junk-layer", limits_, stats_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("apply layer junk-layer: not a valid tar layer"),
            std::string::npos);
}

TEST_F(LayerTest, RefusesATruncatedLayer) {
  std::string tar = make_tar({{"big", 'f', std::string(100000, 'x')}}, Compression::kNone);
  fs::path layer = work_.path() / "truncated";
  std::ofstream(layer, std::ios::binary) << tar.substr(0, 50000);
  Status s = apply_layer(root(), layer, "cut-layer", limits_, stats_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cut-layer"), std::string::npos);
}

}  // namespace
}  // namespace bbox::image
