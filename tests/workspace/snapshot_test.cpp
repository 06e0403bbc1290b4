// Snapshot: what goes into the VM's /workspace and what never does.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "bbox/common/paths.h"
#include "workspace/session_fixture.h"

namespace bbox::workspace {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::write_file;

class Snapshot : public testing::SessionTest {};

TEST_F(Snapshot, CopiesFilesModesMtimesEmptyDirsAndInsideLinks) {
  write_file(ws / "src/main.c", "int main() {}\n");
  write_file(ws / "run.sh", "#!/bin/sh\n");
  ::chmod((ws / "run.sh").c_str(), 0750);
  fs::create_directories(ws / "empty/inner");
  fs::create_symlink("src/main.c", ws / "link");
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 5}};
  ::utimensat(AT_FDCWD, (ws / "run.sh").c_str(), times, 0);
  auto s = snapshot();

  EXPECT_EQ(read_file(s.snapshot / "src/main.c"), "int main() {}\n");
  struct stat st {};
  ASSERT_EQ(::stat((s.snapshot / "run.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 5);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_TRUE(fs::is_directory(s.snapshot / "empty/inner"));
  EXPECT_EQ(fs::read_symlink(s.snapshot / "link"), "src/main.c");
  EXPECT_EQ(stats.files, 2u);
  EXPECT_EQ(stats.symlinks, 1u);
  EXPECT_EQ(stats.dirs, 3u);
}

TEST_F(Snapshot, SessionDirectoryIsPrivateAndOutsideTheWorkspace) {
  auto s = snapshot();
  struct stat st {};
  ASSERT_EQ(::stat(s.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(s.dir.parent_path(), paths::sessions_dir());
  EXPECT_EQ(s.dir.string().find(ws.string() + "/"), std::string::npos);
}

TEST_F(Snapshot, LeavesOutSecretsEvenThroughLinksAndNegation) {
  write_file(ws / ".env", "TOKEN=1\n");
  write_file(ws / "keys/server.pem", "PEM\n");
  write_file(ws / ".ssh/id_ed25519", "KEY\n");
  write_file(ws / ".broodboxignore", "!.env\n!*.pem\n");
  fs::create_hard_link(ws / ".ssh/id_ed25519", ws / "innocent.txt");
  fs::create_symlink(tmp.path() / "home/.ssh/id_ed25519", ws / "abs-link");
  fs::create_symlink("../out/victim.txt", ws / "out-link");
  fs::create_symlink(".env", ws / "env-link");
  auto s = snapshot();

  EXPECT_FALSE(fs::exists(s.snapshot / ".env"));
  EXPECT_FALSE(fs::exists(s.snapshot / "keys/server.pem"));
  EXPECT_FALSE(fs::exists(s.snapshot / ".ssh"));
  EXPECT_FALSE(fs::exists(s.snapshot / "innocent.txt"));
  EXPECT_FALSE(fs::is_symlink(s.snapshot / "abs-link"));
  EXPECT_FALSE(fs::is_symlink(s.snapshot / "out-link"));
  // A link inside the workspace comes along, but its secret target does not.
  EXPECT_TRUE(fs::is_symlink(s.snapshot / "env-link"));
  EXPECT_FALSE(fs::exists(s.snapshot / "env-link"));
  EXPECT_NE(messages.find("'innocent.txt': it is a hard link to a secret"), std::string::npos);
  EXPECT_NE(messages.find("'out-link': a symlink to '../out/victim.txt', outside"),
            std::string::npos);
}

TEST_F(Snapshot, UserPatternsAndPerformanceExcludes) {
  write_file(ws / "node_modules/x/index.js", "x");
  write_file(ws / "build/out.o", "o");
  write_file(ws / "logs/a.log", "l");
  write_file(ws / "keep.txt", "k");
  write_file(ws / ".broodboxignore", "!node_modules/\n");
  auto s = snapshot({"*.log"});
  EXPECT_TRUE(fs::exists(s.snapshot / "node_modules/x/index.js"));
  EXPECT_FALSE(fs::exists(s.snapshot / "build"));
  EXPECT_FALSE(fs::exists(s.snapshot / "logs/a.log"));
  EXPECT_TRUE(fs::exists(s.snapshot / "keep.txt"));
}

TEST_F(Snapshot, SpecialFilesAreSkippedWithANoteAndNeverOpened) {
  ASSERT_EQ(::mkfifo((ws / "fifo").c_str(), 0644), 0);
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sp = (ws / "sock").string();
  std::strncpy(addr.sun_path, sp.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  bool dev = ::mknod((ws / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  write_file(ws / "a.txt", "a");
  auto s = snapshot();
  ::close(sock);
  EXPECT_TRUE(fs::exists(s.snapshot / "a.txt"));
  EXPECT_FALSE(fs::exists(s.snapshot / "fifo"));
  EXPECT_FALSE(fs::exists(s.snapshot / "sock"));
  EXPECT_FALSE(fs::exists(s.snapshot / "null"));
  EXPECT_NE(messages.find("skip 'fifo': a FIFO is never copied"), std::string::npos);
  EXPECT_NE(messages.find("skip 'sock': a socket is never copied"), std::string::npos);
  if (dev) {
    EXPECT_NE(messages.find("skip 'null': a character device"), std::string::npos);
  }
}

TEST_F(Snapshot, TenGibSparseFileStaysSparse) {
  {
    int fd = ::open((ws / "disk.img").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 10LL << 30), 0);
    ASSERT_EQ(::pwrite(fd, "middle", 6, 5LL << 30), 6);
    ::close(fd);
  }
  auto s = snapshot();
  struct stat st {};
  ASSERT_EQ(::stat((s.snapshot / "disk.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 10LL << 30);
  EXPECT_LT(st.st_blocks * 512, 1LL << 20);
  int fd = ::open((s.snapshot / "disk.img").c_str(), O_RDONLY);
  char buf[6];
  ASSERT_EQ(::pread(fd, buf, 6, 5LL << 30), 6);
  ::close(fd);
  EXPECT_EQ(std::string(buf, 6), "middle");
}

TEST_F(Snapshot, GitConfigIsRewrittenThroughTheAllowlist) {
  write_file(ws / ".git/HEAD", "ref: refs/heads/main\n");
  write_file(ws / ".git/config",
             "[core]\n\trepositoryformatversion = 0\n\tsshCommand = ssh -i key\n"
             "\tpager = evil\n\tfsmonitor = /tmp/x\n\thooksPath = /tmp/h\n\teditor = vim\n"
             "[remote \"origin\"]\n\turl = https://user:ghp_secret@github.com/o/r.git\n"
             "\tfetch = +refs/heads/*:refs/remotes/origin/*\n\tuploadpack = evil\n"
             "[credential]\n\thelper = store\n[include]\n\tpath = /etc/x\n"
             "[url \"https://tok@x/\"]\n\tinsteadOf = https://x/\n[http]\n"
             "\textraHeader = Authorization: Bearer t\n[filter \"lfs\"]\n\tclean = git-lfs\n"
             "[diff \"x\"]\n\ttextconv = cat\n[user]\n\tname = Ada\n");
  auto s = snapshot();
  std::string cfg = read_file(s.snapshot / ".git/config");
  EXPECT_EQ(cfg,
            "# Rewritten by bbox: only allowlisted keys are kept.\n"
            "[core]\n\trepositoryformatversion = \"0\"\n"
            "[remote \"origin\"]\n\turl = \"https://github.com/o/r.git\"\n"
            "\tfetch = \"+refs/heads/*:refs/remotes/origin/*\"\n"
            "[user]\n\tname = \"Ada\"\n");
  EXPECT_EQ(read_file(s.snapshot / ".git/HEAD"), "ref: refs/heads/main\n");
}

TEST_F(Snapshot, RefusesRootAndHome) {
  auto root = create_session("/");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().message, "use workspace '/': refusing to snapshot the whole file system");
  ::setenv("HOME", ws.c_str(), 1);
  auto home = create_session(ws);
  ::setenv("HOME", "/root", 1);
  ASSERT_FALSE(home.ok());
  EXPECT_NE(home.error().message.find("refusing to snapshot the home directory"),
            std::string::npos);
}

TEST_F(Snapshot, SkipsTheCacheWhenTheWorkspaceContainsIt) {
  ::setenv("XDG_CACHE_HOME", (ws / ".cache").c_str(), 1);
  write_file(ws / "a.txt", "a");
  auto s = snapshot();
  EXPECT_TRUE(fs::exists(s.snapshot / "a.txt"));
  EXPECT_FALSE(fs::exists(s.snapshot / ".cache/broodbox"));
  EXPECT_NE(messages.find("it holds bbox's own cache"), std::string::npos);
}

TEST_F(Snapshot, SymlinkedOrFifoBroodboxignoreIsRefusedClearly) {
  write_file(tmp.path() / "real-ignore", "*.txt\n");
  fs::create_symlink(tmp.path() / "real-ignore", ws / ".broodboxignore");
  auto s = create_session(ws);
  ASSERT_TRUE(s.ok());
  auto st = take_snapshot(*s, SnapshotOptions{ws, {}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "read '.broodboxignore': it is a symlink; bbox reads only a regular file");
  fs::remove(ws / ".broodboxignore");
  ASSERT_EQ(::mkfifo((ws / ".broodboxignore").c_str(), 0644), 0);
  auto s2 = create_session(ws);
  auto st2 = take_snapshot(*s2, SnapshotOptions{ws, {}});
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error().message,
            "read '.broodboxignore': not a regular file; bbox reads only a regular file");
}

TEST_F(Snapshot, GitWorktreeGetsAStandaloneRepositoryInTheSnapshot) {
  fs::path main = tmp.path() / "main";
  std::string q = testing::shell_quote(main.string());
  ASSERT_EQ(std::system(("git init -q -b main " + q + " && cd " + q +
                         " && echo hi > f && git add f && git -c user.name=a -c user.email=a@b "
                         "commit -qm one && git worktree add -q " +
                         testing::shell_quote(ws.string()) + "/wt -b feature")
                            .c_str()),
            0);
  ws = ws / "wt";
  auto s = snapshot();
  EXPECT_TRUE(fs::is_directory(s.snapshot / ".git"));
  std::string log = testing::run("cd " + testing::shell_quote(s.snapshot.string()) +
                                 " && git -c safe.directory='*' log --format=%s 2>&1 && "
                                 "git -c safe.directory='*' rev-parse --abbrev-ref HEAD");
  EXPECT_EQ(log, "one\nfeature\n");
}

}  // namespace
}  // namespace bbox::workspace

namespace bbox::workspace {
namespace {

TEST_F(Snapshot, HostileNamesAreCopiedAndShownEscaped) {
  std::string nl = "new\nline.txt", esc = "\x1b[31mred", bad = "bad\xff\xfe.txt", tab = "a\tb";
  testing::write_file(ws / nl, "1");
  testing::write_file(ws / esc, "2");
  testing::write_file(ws / bad, "3");
  testing::write_file(ws / tab, "4");
  ASSERT_EQ(::mkfifo((ws / ("\x1b]0;title\x07"
                            "fifo"))
                         .c_str(),
                     0644),
            0);
  auto s = snapshot();
  EXPECT_EQ(testing::read_file(s.snapshot / nl), "1");
  EXPECT_EQ(testing::read_file(s.snapshot / esc), "2");
  EXPECT_EQ(testing::read_file(s.snapshot / bad), "3");
  EXPECT_EQ(testing::read_file(s.snapshot / tab), "4");
  EXPECT_NE(messages.find("skip '\\x1b]0;title\\x07fifo': a FIFO is never copied"),
            std::string::npos)
      << messages;
  EXPECT_EQ(messages.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace bbox::workspace
