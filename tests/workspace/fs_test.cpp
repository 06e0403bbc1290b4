// File-system situations: reflinks on XFS, a full disk while snapshotting
// and flushing, and unreadable files for a normal user. The loop mounts
// need root; those tests skip with a reason where they cannot run.
#include <fcntl.h>
#include <unistd.h>

#include "bbox/common/exit_codes.h"
#include "workspace/session_fixture.h"

namespace bbox::workspace {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run;
using testing::shell_quote;
using testing::write_file;

// A file system image mounted on a loop device for the test's lifetime.
class LoopMount {
 public:
  LoopMount(const fs::path& dir, const std::string& mkfs, const std::string& size)
      : image_(dir / "fs.img"), mnt_(dir / "mnt") {
    fs::create_directories(mnt_);
    std::string cmd = "truncate -s " + size + " " + shell_quote(image_.string()) + " && " + mkfs +
                      " " + shell_quote(image_.string()) + " >/dev/null 2>&1 && mount -o loop " +
                      shell_quote(image_.string()) + " " + shell_quote(mnt_.string()) +
                      " 2>/dev/null";
    mounted_ = ::geteuid() == 0 && std::system(cmd.c_str()) == 0;
  }
  ~LoopMount() {
    if (mounted_)
      run("umount " + shell_quote(mnt_.string()) + " || umount -l " + shell_quote(mnt_.string()));
  }
  bool mounted() const { return mounted_; }
  const fs::path& path() const { return mnt_; }

 private:
  fs::path image_, mnt_;
  bool mounted_ = false;
};

std::string random_bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class FileSystems : public testing::SessionTest {};

TEST_F(FileSystems, SnapshotClonesFilesOnReflinkXfs) {
  LoopMount xfs(tmp.path(), "mkfs.xfs -q -f -m reflink=1", "320M");
  if (!xfs.mounted()) GTEST_SKIP() << "cannot mount a loop XFS here (needs root and xfsprogs)";
  ws = xfs.path() / "ws";
  ::setenv("XDG_CACHE_HOME", (xfs.path() / "cache").c_str(), 1);
  std::string big = random_bytes(4 << 20);
  write_file(ws / "big.bin", big);
  write_file(ws / "src/a.c", "int a;\n");
  write_file(ws / "empty", "");
  auto s = snapshot();
  EXPECT_EQ(stats.files, 3u);
  EXPECT_EQ(stats.cloned, 2u);  // an empty file has no extents to share
  EXPECT_EQ(read_file(s.snapshot / "big.bin"), big);
  // The clone shares extents: the file system used ~no more space for it.
  std::string shared =
      run("xfs_io -c 'fiemap -v' " + shell_quote((s.snapshot / "big.bin").string()) +
          " | grep -cE ' 0x2[0-9a-f]{3}$'");  // FIEMAP_EXTENT_SHARED
  EXPECT_NE(shared, "0\n");
  fs::remove_all(s.dir);
}

TEST_F(FileSystems, DiskFullWhileSnapshottingIsAClearError) {
  LoopMount small(tmp.path(), "mkfs.ext4 -q", "8M");
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a loop ext4 here (needs root)";
  ::setenv("XDG_CACHE_HOME", (small.path() / "cache").c_str(), 1);
  write_file(ws / "big.bin", random_bytes(16 << 20));
  auto s = create_session(ws);
  ASSERT_TRUE(s.ok());
  auto st = take_snapshot(*s, SnapshotOptions{ws, {}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "copy 'big.bin' into the snapshot: write: No space left on device");
}

TEST_F(FileSystems, DiskFullWhileFlushingLeavesNoPartialFile) {
  LoopMount small(tmp.path(), "mkfs.ext4 -q", "8M");
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a loop ext4 here (needs root)";
  ws = small.path() / "ws";
  write_file(ws / "a.txt", "old\n");
  write_file(ws / "b.txt", "b\n");
  auto s = snapshot();
  write_file(s.snapshot / "a.txt", random_bytes(16 << 20));
  write_file(s.snapshot / "b.txt", "B\n");
  auto rc = finish_session(s, FinishOptions{});
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, exit_code::kPendingReview);
  EXPECT_EQ(read_file(ws / "a.txt"), "old\n");
  EXPECT_EQ(read_file(ws / "b.txt"), "B\n");  // one file's error does not stop the rest
  EXPECT_EQ(run("ls -A " + shell_quote(ws.string()) + " | grep -c bbox"), "0\n");
  EXPECT_NE(messages.find("skipped 'a.txt': cannot write: No space left on device"),
            std::string::npos)
      << messages;
  fs::remove_all(s.dir);
}

TEST_F(FileSystems, UnreadableFilesAndDirectoriesAreNamedAndTheRestIsCopied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the driver as another user";
  write_file(ws / "ok.txt", "ok\n");
  write_file(ws / "secret-ish.txt", "no\n");
  write_file(ws / "closed/inner.txt", "x\n");
  write_file(ws / "readonly.txt", "ro\n");
  ::chmod((ws / "secret-ish.txt").c_str(), 0000);
  ::chmod((ws / "closed").c_str(), 0000);
  ::chmod((ws / "readonly.txt").c_str(), 0444);
  ::chmod(tmp.path().c_str(), 0755);
  run("chown -R 65534:65534 " + shell_quote(ws.string()));
  fs::path cache = tmp.path() / "nobody-cache";
  fs::create_directories(cache);
  run("chown 65534:65534 " + shell_quote(cache.string()));
  int status = -1;
  std::string out = run("cd / && XDG_CACHE_HOME=" + shell_quote(cache.string()) +
                            " setpriv --reuid=65534 --regid=65534 --clear-groups " +
                            BBOX_WS_DRIVER + " snapshot " + shell_quote(ws.string()) + " 2>&1",
                        &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("bbox: note: skip 'closed': cannot open directory: Permission denied"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("bbox: note: skip 'secret-ish.txt': cannot read: Permission denied"),
            std::string::npos)
      << out;
  std::string snap = out.substr(out.rfind('\n', out.size() - 2) + 1);
  snap.pop_back();
  EXPECT_EQ(read_file(fs::path(snap) / "ok.txt"), "ok\n");
  EXPECT_EQ(read_file(fs::path(snap) / "readonly.txt"), "ro\n");
  struct stat st {};
  ASSERT_EQ(::stat((fs::path(snap) / "ok.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u) << "snapshot files belong to the invoking user";
}

}  // namespace
}  // namespace bbox::workspace
