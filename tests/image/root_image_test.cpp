#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "bbox/image/image.h"
#include "image/support/image_test_helpers.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

// A small tree with the features a root file system has.
void make_tree(const fs::path& root) {
  write_file(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  write_file(root / "usr/bin/tool", "#!/bin/sh\necho hi\n", 04755);
  fs::create_directories(root / "root");
  ::chmod((root / "root").c_str(), 0700);
  fs::create_symlink("../usr/bin/tool", root / "etc/tool-link");
  fs::create_hard_link(root / "etc/passwd", root / "etc/passwd-hard");
}

TEST(BuildRootImage, RecordsContentModesOwnersAndLinks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give files other owners";
  TempDir work;
  fs::path tree = work.path() / "tree";
  make_tree(tree);
  ASSERT_EQ(::chown((tree / "usr/bin/tool").c_str(), 1234, 4321), 0);
  ASSERT_EQ(::chmod((tree / "usr/bin/tool").c_str(), 04755), 0);  // chown cleared setuid

  auto out = build_root_image(tree, work.path() / "root.ext4");
  ASSERT_TRUE(out.ok()) << out.error().message;

  EXPECT_EQ(debugfs(*out, "cat /etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  InodeInfo tool = stat_in_image(*out, "/usr/bin/tool");
  EXPECT_EQ(tool.uid, 1234);
  EXPECT_EQ(tool.gid, 4321);
  EXPECT_EQ(tool.mode & 07777, 04755u);
  EXPECT_EQ(stat_in_image(*out, "/root").mode & 07777, 0700u);
  EXPECT_EQ(stat_in_image(*out, "/").uid, 0);
  EXPECT_NE(debugfs(*out, "stat /etc/tool-link").find("Fast link dest: \"../usr/bin/tool\""),
            std::string::npos);
  EXPECT_NE(debugfs(*out, "stat /etc/passwd").find("Links: 2"), std::string::npos);
}

TEST(BuildRootImage, LeavesNoFileWhenTheTreeIsMissing) {
  TempDir work;
  auto out = build_root_image(work.path() / "absent", work.path() / "root.ext4");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("absent"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(work.path()));
}

TEST(ResolveDir, ReusesTheRootImageOfAnUnchangedTree) {
  PrivateStore store;
  TempDir work;
  make_tree(work.path() / "tree");
  std::string ref = "dir:" + (work.path() / "tree").string();

  auto first = resolve_image(ref, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat before;
  ASSERT_EQ(::stat(first->root_image.c_str(), &before), 0);
  auto second = resolve_image(ref, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(second.ok()) << second.error().message;
  struct stat after;
  ASSERT_EQ(::stat(second->root_image.c_str(), &after), 0);

  EXPECT_EQ(first->digest, second->digest);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(first->root_image.parent_path(), store.images() / "roots");
}

TEST(ResolveDir, RebuildsWhenAFileChanges) {
  PrivateStore store;
  TempDir work;
  make_tree(work.path() / "tree");
  std::string ref = "dir:" + (work.path() / "tree").string();
  auto first = resolve_image(ref, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(first.ok()) << first.error().message;

  write_file(work.path() / "tree/etc/passwd", "changed\n");
  auto second = resolve_image(ref, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(second.ok()) << second.error().message;

  EXPECT_NE(first->digest, second->digest);
  EXPECT_EQ(debugfs(second->root_image, "cat /etc/passwd"), "changed\n");
}

TEST(ResolveDir, ConcurrentResolvesShareOneBuild) {
  PrivateStore store;
  TempDir work;
  make_tree(work.path() / "tree");
  std::string ref = "dir:" + (work.path() / "tree").string();

  Result<ResolvedImage> a = Error{""}, b = Error{""};
  std::thread t1([&] { a = resolve_image(ref, PullPolicy::kIfNotPresent); });
  std::thread t2([&] { b = resolve_image(ref, PullPolicy::kIfNotPresent); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;

  EXPECT_EQ(a->root_image, b->root_image);
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(store.images() / "roots")) {
    files.insert(e.path().filename().string());
  }
  EXPECT_EQ(files.size(), 1u);  // no temporary file left behind
}

TEST(ResolveDir, NamesAPathThatIsNotADirectory) {
  PrivateStore store;
  auto r = resolve_image("dir:/nonexistent/bbox-tree", PullPolicy::kIfNotPresent);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "resolve image dir:/nonexistent/bbox-tree: /nonexistent/bbox-tree is not a directory");
}

}  // namespace
}  // namespace bbox::image
