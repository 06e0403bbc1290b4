// TempDir, read_file/write_file and ScopedEnv.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <optional>

#include "bbox_test/files.h"
#include "bbox_test/scoped_env.h"
#include "bbox_test/temp_dir.h"

namespace bbox::test_support {
namespace {

namespace fs = std::filesystem;

TEST(TempDir, IsAPrivateFreshDirectoryUnderTheGivenParent) {
  TempDir parent;
  TempDir dir("pfx", parent.path());
  EXPECT_EQ(dir.path().parent_path(), parent.path());
  EXPECT_TRUE(dir.path().filename().string().starts_with("pfx-"));
  struct stat st {};
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(TempDir, RemovesItsTreeEvenWhereTestsTookPermissionsAway) {
  fs::path kept;
  {
    TempDir dir;
    kept = dir.path();
    dir.write("closed/inner/file", "x");
    ::chmod((kept / "closed/inner").c_str(), 0);
    ::chmod((kept / "closed").c_str(), 0);
  }
  EXPECT_FALSE(fs::exists(kept));
}

TEST(TempDir, DoesNotFollowSymlinksOutOfTheTree) {
  TempDir outside;
  write_file(outside / "victim", "keep");
  ::chmod(outside.path().c_str(), 0500);
  {
    TempDir dir;
    fs::create_directory_symlink(outside.path(), dir / "link");
  }
  EXPECT_EQ(read_file(outside / "victim"), "keep");
  struct stat st {};
  ASSERT_EQ(::stat(outside.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0500u);
}

TEST(WriteFile, MakesParentsReplacesContentAndSetsAMode) {
  TempDir dir;
  write_file(dir / "a/b/c.txt", "first, longer");
  write_file(dir / "a/b/c.txt", "second");
  EXPECT_EQ(read_file(dir / "a/b/c.txt"), "second");
  write_file(dir / "x", std::string("\0bin\xff", 5), 0640);
  EXPECT_EQ(read_file(dir / "x"), std::string("\0bin\xff", 5));
  EXPECT_EQ(fs::status(dir / "x").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(ReadFile, MissingFileIsEmpty) {
  TempDir dir;
  EXPECT_EQ(read_file(dir / "missing"), "");
}

TEST(ScopedEnv, SetsOrUnsetsAndPutsBackWhatWasThere) {
  ::setenv("BBOX_SUPPORT_A", "old", 1);
  ::unsetenv("BBOX_SUPPORT_B");
  {
    ScopedEnv a("BBOX_SUPPORT_A", "new");
    ScopedEnv b("BBOX_SUPPORT_B", "set");
    EXPECT_STREQ(::getenv("BBOX_SUPPORT_A"), "new");
    EXPECT_STREQ(::getenv("BBOX_SUPPORT_B"), "set");
  }
  EXPECT_STREQ(::getenv("BBOX_SUPPORT_A"), "old");
  EXPECT_EQ(::getenv("BBOX_SUPPORT_B"), nullptr);
  {
    ScopedEnv gone("BBOX_SUPPORT_A", std::nullopt);
    EXPECT_EQ(::getenv("BBOX_SUPPORT_A"), nullptr);
  }
  EXPECT_STREQ(::getenv("BBOX_SUPPORT_A"), "old");
  ::unsetenv("BBOX_SUPPORT_A");
}

}  // namespace
}  // namespace bbox::test_support
