// The real `sessions` and `review` commands (src/cli/cmd_sessions.cpp) in
// the test driver: kill -9 during a flush, then resuming; the interactive
// review typed into a tmux terminal.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "bbox/common/exit_codes.h"
#include "workspace/session_fixture.h"

namespace bbox::workspace {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run;
using testing::shell_quote;
using testing::write_file;

class Cli : public testing::SessionTest {
 protected:
  std::string driver(const std::string& args, int* status = nullptr) {
    return run(std::string(BBOX_WS_DRIVER) + " " + args + " 2>&1", status);
  }
};

TEST_F(Cli, KillNineDuringFlushThenReviewCompletesIt) {
  for (int i = 0; i < 6; ++i) write_file(ws / ("f" + std::to_string(i)), "old\n");
  auto s = snapshot();
  s.lock.reset();  // let the driver take the session
  for (int i = 0; i < 6; ++i) write_file(s.snapshot / ("f" + std::to_string(i)), "new\n");

  int status = 0;
  EXPECT_EQ(run("BBOX_TEST_FLUSH_KILL_AFTER=2 " + std::string(BBOX_WS_DRIVER) + " review " + s.id +
                " >/dev/null 2>&1; echo $?"),
            "137\n");
  std::string code = run("BBOX_TEST_FLUSH_KILL_AFTER=2 " + std::string(BBOX_WS_DRIVER) +
                         " review " + s.id + " >/dev/null 2>&1; echo $?");
  EXPECT_EQ(code, "137\n");  // died of SIGKILL, twice: the first run applied f0, f1
  int applied = 0;
  for (int i = 0; i < 6; ++i) applied += read_file(ws / ("f" + std::to_string(i))) == "new\n";
  EXPECT_EQ(applied, 4);
  ASSERT_TRUE(fs::exists(s.dir));

  std::string listing = driver("sessions", &status);
  EXPECT_EQ(status, 0);
  std::string row = listing.substr(listing.find(s.id));
  EXPECT_EQ(row.substr(0, row.find(" ago")), s.id + "             2 0s") << listing;

  std::string out = driver("review " + s.id, &status);
  EXPECT_EQ(status, 0) << out;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(read_file(ws / ("f" + std::to_string(i))), "new\n");
  EXPECT_FALSE(fs::exists(s.dir));
  EXPECT_EQ(run("ls -A " + shell_quote(ws.string()) + " | grep -c bbox"), "0\n");
}

TEST_F(Cli, ASessionInUseCannotBeReviewedOrRemoved) {
  write_file(ws / "a", "a");
  auto s = snapshot();
  int status = 0;
  EXPECT_EQ(driver("review " + s.id, &status), "bbox: error: open session '" + s.id +
                                                   "': in use by another bbox (still running, "
                                                   "or in review elsewhere)\n");
  EXPECT_EQ(status, exit_code::kError);
  std::string listing = driver("sessions", &status);
  std::string row = listing.substr(listing.find(s.id));
  EXPECT_EQ(row.substr(0, row.find("s ago") - 1), s.id + "        in use ") << listing;
  s.lock.reset();
  EXPECT_EQ(driver("sessions rm " + s.id, &status),
            "bbox: info: removed session '" + s.id + "'; its changes were discarded\n");
}

TEST_F(Cli, SessionsRmDiscardsAndUnknownSessionsAreClearErrors) {
  write_file(ws / "a", "a");
  auto s = snapshot();
  s.lock.reset();  // let the driver take the session
  write_file(s.snapshot / "a", "b");
  int status = 0;
  EXPECT_EQ(driver("sessions rm " + s.id, &status),
            "bbox: info: removed session '" + s.id + "'; its changes were discarded\n");
  EXPECT_EQ(status, 0);
  EXPECT_FALSE(fs::exists(s.dir));
  EXPECT_EQ(read_file(ws / "a"), "a");
  EXPECT_EQ(driver("review nope", &status),
            "bbox: error: open session 'nope': no such session (see `bbox sessions`)\n");
  EXPECT_EQ(status, exit_code::kError);
  EXPECT_EQ(driver("review ../x", &status),
            "bbox: error: open session '../x': not a session name\n");
}

// A tmux server of our own, killed at the end.
class Tmux {
 public:
  explicit Tmux(const std::string& cmd) : sock_("bbox-ws-" + std::to_string(::getpid())) {
    run("tmux -L " + sock_ + " new-session -d -s t -x 160 -y 60 " + shell_quote(cmd));
  }
  ~Tmux() { run("tmux -L " + sock_ + " kill-server 2>/dev/null"); }
  void keys(const std::string& k) { run("tmux -L " + sock_ + " send-keys -t t " + k); }
  std::string screen() { return run("tmux -L " + sock_ + " capture-pane -p -t t -S -200"); }
  // Waits until the screen shows `text` `count` times.
  bool wait_for(const std::string& text, int count = 1) {
    for (int i = 0; i < 150; ++i) {
      std::string s = screen();
      int seen = 0;
      for (size_t p = s.find(text); p != std::string::npos; p = s.find(text, p + 1)) ++seen;
      if (seen >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::string sock_;
};

TEST_F(Cli, InteractiveReviewInTmuxPerFileAndSplitHunks) {
  if (std::system("command -v tmux >/dev/null") != 0) GTEST_SKIP() << "tmux is not installed";
  std::string base;
  for (int i = 1; i <= 20; ++i) base += "line" + std::to_string(i) + "\n";
  write_file(ws / "a.txt", base);
  write_file(ws / "c.txt", "remove me\n");
  auto s = snapshot();
  s.lock.reset();  // let the driver take the session
  std::string changed = base;
  changed.replace(changed.find("line3\n"), 6, "LINE3\n");
  changed.replace(changed.find("line8\n"), 6, "LINE8\n");
  write_file(s.snapshot / "a.txt", changed);
  write_file(s.snapshot / "b.txt", "added\n");
  fs::remove(s.snapshot / "c.txt");
  fs::path done = tmp.path() / "exit";
  Tmux t("cd " + shell_quote(ws.string()) + " && XDG_CACHE_HOME=" +
         shell_quote((tmp.path() / "cache").string()) + " PAGER=cat " + BBOX_WS_DRIVER +
         " review " + s.id + " --review; echo $? > " + shell_quote(done.string()) + "; sleep 60");

  ASSERT_TRUE(t.wait_for("Apply this change to 'a.txt'? [y,n,a,r,q,s,?]")) << t.screen();
  EXPECT_NE(t.screen().find("-line3"), std::string::npos);
  t.keys("s Enter");
  ASSERT_TRUE(t.wait_for("Apply this hunk to 'a.txt'? [y,n,s,q]")) << t.screen();
  t.keys("s Enter");
  ASSERT_TRUE(t.wait_for("Apply this hunk to 'a.txt'? [y,n,s,q]", 2)) << t.screen();
  t.keys("y Enter");
  ASSERT_TRUE(t.wait_for("Apply this hunk to 'a.txt'? [y,n,s,q]", 3)) << t.screen();
  t.keys("n Enter");
  ASSERT_TRUE(t.wait_for("Apply this change to 'b.txt'?")) << t.screen();
  t.keys("n Enter");
  ASSERT_TRUE(t.wait_for("Apply this change to 'c.txt'?")) << t.screen();
  t.keys("y Enter");
  for (int i = 0; i < 100 && !fs::exists(done); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(read_file(done), "0\n") << t.screen();
  std::string expect = base;
  expect.replace(expect.find("line3\n"), 6, "LINE3\n");
  EXPECT_EQ(read_file(ws / "a.txt"), expect);
  EXPECT_FALSE(fs::exists(ws / "b.txt"));
  EXPECT_FALSE(fs::exists(ws / "c.txt"));
  EXPECT_FALSE(fs::exists(s.dir));
}

TEST_F(Cli, QuittingReviewKeepsTheSessionForLater) {
  if (std::system("command -v tmux >/dev/null") != 0) GTEST_SKIP() << "tmux is not installed";
  write_file(ws / "a.txt", "a\n");
  auto s = snapshot();
  s.lock.reset();  // let the driver take the session
  write_file(s.snapshot / "a.txt", "b\n");
  write_file(s.snapshot / "z.txt", "z\n");
  fs::path done = tmp.path() / "exit";
  Tmux t("XDG_CACHE_HOME=" + shell_quote((tmp.path() / "cache").string()) + " " + BBOX_WS_DRIVER +
         " review " + s.id + " --review; echo $? > " + shell_quote(done.string()) + "; sleep 60");
  ASSERT_TRUE(t.wait_for("Apply this change to 'a.txt'?")) << t.screen();
  t.keys("y Enter");
  ASSERT_TRUE(t.wait_for("Apply this change to 'z.txt'?")) << t.screen();
  t.keys("q Enter");
  for (int i = 0; i < 100 && !fs::exists(done); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(read_file(done), std::to_string(exit_code::kPendingReview) + "\n");
  EXPECT_EQ(read_file(ws / "a.txt"), "b\n");
  EXPECT_FALSE(fs::exists(ws / "z.txt"));
  ASSERT_TRUE(fs::exists(s.dir));
  int status = 0;
  std::string out = driver("review " + s.id, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(read_file(ws / "z.txt"), "z\n");
}

TEST_F(Cli, LongDiffsGoThroughThePager) {
  if (std::system("command -v tmux >/dev/null && command -v less >/dev/null") != 0) {
    GTEST_SKIP() << "tmux or less is not installed";
  }
  write_file(ws / "a.txt", "x\n");
  auto s = snapshot();
  s.lock.reset();  // let the driver take the session
  std::string many;
  for (int i = 0; i < 200; ++i) many += "line " + std::to_string(i) + "\n";
  write_file(s.snapshot / "a.txt", many);
  fs::path done = tmp.path() / "exit";
  Tmux t("XDG_CACHE_HOME=" + shell_quote((tmp.path() / "cache").string()) +
         " PAGER=less LESS=FRX " + BBOX_WS_DRIVER + " review " + s.id + " --review; echo $? > " +
         shell_quote(done.string()) + "; sleep 60");
  ASSERT_TRUE(t.wait_for("+line 10")) << t.screen();
  EXPECT_EQ(t.screen().find("Apply this change"), std::string::npos) << "the pager holds the diff";
  t.keys("q");
  ASSERT_TRUE(t.wait_for("Apply this change to 'a.txt'?")) << t.screen();
  t.keys("y Enter");
  for (int i = 0; i < 100 && !fs::exists(done); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(read_file(done), "0\n");
  EXPECT_EQ(read_file(ws / "a.txt"), many);
}

}  // namespace
}  // namespace bbox::workspace
