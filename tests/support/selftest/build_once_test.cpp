// build_once and the busybox root: built once however many processes ask at
// the same time, rebuilt when the recipe changes, never seen half-built.
#include "bbox_test/build_once.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "bbox_test/busybox_rootfs.h"
#include "bbox_test/files.h"
#include "bbox_test/process.h"
#include "bbox_test/temp_dir.h"

namespace bbox::test_support {
namespace {

namespace fs = std::filesystem;

fs::path write_text(const fs::path& p, const std::string& text) {
  write_file(p, text);
  return p;
}

// In a child process: builds `target` (counting builds in `count`), then
// checks it is complete; exits 0 when it was.
[[noreturn]] void build_in_child(const fs::path& target, const fs::path& count) {
  Status s = build_once(target, "recipe 1", [&](const fs::path& tmp) {
    write_file(count, read_file(count) + "b");
    fs::create_directories(tmp);
    ::usleep(200 * 1000);  // long enough for the others to be waiting
    write_file(tmp / "part", "complete");
    return ok_status();
  });
  ::_exit(s.ok() && read_file(target / "part") == "complete" ? 0 : 1);
}

TEST(BuildOnce, ConcurrentProcessesBuildOnceAndAllSeeTheWholeResult) {
  TempDir dir;
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) build_in_child(dir / "target", dir / "count");
    ASSERT_GT(pid, 0);
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(read_file(dir / "count"), "b");
  EXPECT_FALSE(fs::exists(dir.path().string() + "/target.tmp"));
}

TEST(BuildOnce, ChangedRecipeRebuildsAndFailedBuildLeavesNothing) {
  TempDir dir;
  fs::path target = dir / "t";
  auto writer = [](const std::string& text) {
    return [text](const fs::path& tmp) {
      write_file(tmp, text);
      return ok_status();
    };
  };
  ASSERT_TRUE(build_once(target, "one", writer("1")).ok());
  ASSERT_TRUE(build_once(target, "one", writer("ignored")).ok());
  EXPECT_EQ(read_file(target), "1");
  ASSERT_TRUE(build_once(target, "two", writer("2")).ok());
  EXPECT_EQ(read_file(target), "2");

  Status failed = build_once(target, "three", [](const fs::path& tmp) {
    write_file(tmp, "partial");
    return Status(Error{"no room"});
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "no room");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(target.string() + ".tmp"));
}

TEST(BusyboxRootfs, HoldsBusyboxAppletLinksAndTheSpec) {
  if (std::string why = busybox_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  RootfsSpec spec;
  spec.dirs = {"proc", "home/sandbox"};
  spec.files = {{"etc/passwd", kRootPasswd}};
  spec.symlinks = {{"home/sandbox/linked", "/etc"}};
  TempDir host;
  spec.copies = {{"usr/bin/tool", write_text(host / "tool", "#!/bin/sh\n")}};
  auto root = busybox_rootfs(dir / "root", spec);
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(*root, dir / "root");
  EXPECT_EQ(fs::read_symlink(*root / "bin/sh"), "busybox");
  EXPECT_TRUE(fs::is_directory(*root / "proc"));
  EXPECT_EQ(read_file(*root / "etc/passwd"), kRootPasswd);
  EXPECT_EQ(fs::read_symlink(*root / "home/sandbox/linked"), "/etc");
  EXPECT_EQ(read_file(*root / "usr/bin/tool"), "#!/bin/sh\n");
  ProcessResult r = run_process({(*root / "bin/sh").string(), "-c", "echo ok"});
  EXPECT_EQ(r.out, "ok\n");
}

}  // namespace
}  // namespace bbox::test_support
