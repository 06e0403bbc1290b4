// Patches: what `git apply` and `patch` accept, binary data, quoted names,
// and the line diff itself.
#include <fcntl.h>
#include <unistd.h>

#include "bbox/common/exit_codes.h"
#include "workspace/changes.h"
#include "workspace/linediff.h"
#include "workspace/patch.h"
#include "workspace/session_fixture.h"

namespace bbox::workspace {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run;
using testing::shell_quote;
using testing::write_file;

class Patch : public testing::SessionTest {};

std::string binary_blob(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 7)) & 0xFF);
  return s;
}

TEST_F(Patch, GitApplyReproducesTheSnapshotFromTheOutputPatch) {
  write_file(ws / "a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n");
  write_file(ws / "noeol.txt", "last line");
  write_file(ws / "img.bin", binary_blob(5000, 1));
  write_file(ws / "old.txt", "delete me\n");
  write_file(ws / "run.sh", "echo\n");
  auto s = snapshot();
  fs::path pristine = tmp.path() / "pristine";
  ASSERT_EQ(
      std::system(
          ("cp -a " + shell_quote(ws.string()) + " " + shell_quote(pristine.string())).c_str()),
      0);
  write_file(s.snapshot / "a.txt",
             "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\nTHIRTEEN\n14\n15\n16\n");
  write_file(s.snapshot / "noeol.txt", "last line\n");
  write_file(s.snapshot / "img.bin", binary_blob(7000, 2));
  write_file(s.snapshot / "new.bin", binary_blob(300, 3));
  write_file(s.snapshot / std::string("tab\tname \xff\".txt"), "weird\n");
  fs::remove(s.snapshot / "old.txt");
  ::chmod((s.snapshot / "run.sh").c_str(), 0755);
  fs::path patch = tmp.path() / "all.patch";
  FinishOptions o;
  o.output_patch = patch;
  auto rc = finish_session(s, o);
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  EXPECT_EQ(*rc, exit_code::kOk);

  // The workspace is untouched; the session is gone (the patch holds it all).
  EXPECT_EQ(run("diff -r " + shell_quote(ws.string()) + " " + shell_quote(pristine.string()) +
                " && echo same"),
            "same\n");
  std::string text = read_file(patch);
  EXPECT_NE(text.find("diff --git \"a/tab\\tname \\377\\\".txt\" \"b/tab\\tname \\377\\\".txt\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("GIT binary patch\nliteral 7000\n"), std::string::npos);
  int status = -1;
  std::string log = run("cd " + shell_quote(ws.string()) + " && git init -q . && git apply " +
                            shell_quote(patch.string()) + " 2>&1",
                        &status);
  EXPECT_EQ(status, 0) << log;
  fs::remove_all(ws / ".git");
  EXPECT_EQ(read_file(ws / "img.bin"), binary_blob(7000, 2));
  EXPECT_EQ(read_file(ws / "new.bin"), binary_blob(300, 3));
  EXPECT_EQ(read_file(ws / "noeol.txt"), "last line\n");
  EXPECT_EQ(read_file(ws / std::string("tab\tname \xff\".txt")), "weird\n");
  EXPECT_FALSE(fs::exists(ws / "old.txt"));
  EXPECT_EQ(fs::status(ws / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(read_file(ws / "a.txt"),
            "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\nTHIRTEEN\n14\n15\n16\n");

  // GNU patch takes the text part too.
  std::string text_only = tmp.path() / "text.patch";
  fs::path p2 = tmp.path() / "p2";
  fs::create_directories(p2);
  write_file(p2 / "a.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n");
  size_t a_start = text.find("diff --git a/a.txt");
  size_t a_end = text.find("diff --git", a_start + 1);
  write_file(text_only, text.substr(a_start, a_end - a_start));
  EXPECT_EQ(run("cd " + shell_quote(p2.string()) + " && patch -s -p1 < " + shell_quote(text_only) +
                " && cat a.txt"),
            "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\nTHIRTEEN\n14\n15\n16\n");
}

TEST_F(Patch, ThreeGibBinaryIsSummarisedNotLoaded) {
  {
    int fd = ::open((ws / "huge.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_EQ(::ftruncate(fd, 3LL << 30), 0);
    ::close(fd);
  }
  auto s = snapshot();
  {
    int fd = ::open((s.snapshot / "huge.bin").c_str(), O_WRONLY);
    ASSERT_EQ(::pwrite(fd, "x", 1, 1LL << 30), 1);
    ::close(fd);
  }
  auto meta = read_meta(s.dir);
  auto trees = open_trees(s, *meta);
  auto set = compute_changes(*trees, *Manifest::load(s.dir), *meta, false);
  ASSERT_EQ(set->changes.size(), 1u);
  std::string text;
  ASSERT_TRUE(write_patch(set->changes[0], *trees, PatchOptions{}, [&text](std::string_view v) {
                text += v;
              }).ok());
  EXPECT_EQ(text.substr(text.find("Binary")), "Binary files a/huge.bin and b/huge.bin differ\n");
}

TEST(LineDiff, HunksSplitAndPartialApplication) {
  std::string a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", b = "a\nB\nc\nd\ne\nf\ng\nh\nI\nj\n";
  auto la = split_lines(a), lb = split_lines(b);
  auto ops = diff_lines(la, lb);
  auto whole = make_hunks(ops, 3);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(format_hunk(whole[0], ops, la, lb, false),
            "@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n-i\n+I\n j\n");
  auto parts = make_hunks(ops, 3, true);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(apply_hunks(ops, parts, {true, false}, la, lb), "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\n");
  EXPECT_EQ(apply_hunks(ops, parts, {false, true}, la, lb), "a\nb\nc\nd\ne\nf\ng\nh\nI\nj\n");
}

TEST(LineDiff, LargeRewritesStayCorrect) {
  std::string a, b;
  for (int i = 0; i < 6000; ++i) {
    a += std::to_string(i) + "\n";
    b += std::to_string(i * 7 % 6001) + "\n";
  }
  auto la = split_lines(a), lb = split_lines(b);
  auto ops = diff_lines(la, lb);
  auto hunks = make_hunks(ops, 3);
  EXPECT_EQ(apply_hunks(ops, hunks, std::vector<bool>(hunks.size(), true), la, lb), b);
}

}  // namespace
}  // namespace bbox::workspace
