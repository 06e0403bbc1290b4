// FilePutter run on the host against a temporary directory standing for the
// guest's "/": the same code bbox-init uses for kFilePut.
#include "file_put.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "bbox_test/files.h"
#include "bbox_test/temp_dir.h"

namespace bbox::guest {
namespace {

namespace fs = std::filesystem;

using test_support::read_file;

class Put : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    fs::create_directories(home());
    fs::create_directories(root_ / "outside");
    root_fd_ = UniqueFd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    // As root the files go to the sandbox user as in the guest; otherwise
    // only our own ids are possible.
    owner_ = ::geteuid() == 0 ? 1000 : ::geteuid();
    group_ = ::geteuid() == 0 ? 1000 : ::getegid();
  }

  fs::path home() const { return root_ / "home/sandbox"; }

  // Puts `chunks` as one batch; returns the errors, "path: error" each.
  std::vector<std::string> put(const std::vector<proto::FileChunk>& chunks) {
    FilePutter p(root_fd_.get(), owner_, group_);
    for (const auto& c : chunks) p.add(c);
    p.finish();
    std::vector<std::string> out;
    for (const auto& e : p.take_errors()) out.push_back(e.path + ": " + e.error);
    return out;
  }

  struct stat lstat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
  }

  test_support::TempDir tmp_{"bbox-put", "/tmp"};
  fs::path root_;
  UniqueFd root_fd_;
  uid_t owner_ = 0;
  gid_t group_ = 0;
};

TEST_F(Put, WritesTheFileWithItsModeAndOwnerAndMakesPrivateParents) {
  EXPECT_EQ(put({{"/home/sandbox/.config/app/settings.json", 0100640, "{\"a\":1}"}}),
            std::vector<std::string>{});
  fs::path file = home() / ".config/app/settings.json";
  EXPECT_EQ(read_file(file), "{\"a\":1}");
  struct stat st = lstat_of(file);
  EXPECT_EQ(st.st_mode, 0100640u);
  EXPECT_EQ(st.st_uid, owner_);
  EXPECT_EQ(st.st_gid, group_);
  for (const char* dir : {".config", ".config/app"}) {
    struct stat d = lstat_of(home() / dir);
    EXPECT_EQ(d.st_mode, 040700u) << dir;
    EXPECT_EQ(d.st_uid, owner_) << dir;
  }
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(home() / ".config/app"), {}), 1);
}

TEST_F(Put, JoinsConsecutiveChunksOfOneFileAndStartsAfreshForTheNext) {
  EXPECT_EQ(put({{"/home/sandbox/big", 0100600, "one-"},
                 {"/home/sandbox/big", 0100777, "two-"},
                 {"/home/sandbox/big", 0100600, "three"},
                 {"/home/sandbox/empty", 0100644, ""}}),
            std::vector<std::string>{});
  EXPECT_EQ(read_file(home() / "big"), "one-two-three");
  EXPECT_EQ(lstat_of(home() / "big").st_mode, 0100600u);  // the first chunk's mode
  EXPECT_EQ(read_file(home() / "empty"), "");
}

TEST_F(Put, ReplacesAnExistingFileWithoutWritingThroughItsHardLink) {
  std::ofstream(root_ / "outside/shadow") << "secret";
  fs::create_hard_link(root_ / "outside/shadow", home() / ".gitconfig");
  EXPECT_EQ(put({{"/home/sandbox/.gitconfig", 0100644, "[user]\n"}}), std::vector<std::string>{});
  EXPECT_EQ(read_file(home() / ".gitconfig"), "[user]\n");
  EXPECT_EQ(read_file(root_ / "outside/shadow"), "secret");
}

TEST_F(Put, MakesDirectoriesAndSetsTheModeOfExistingOnes) {
  fs::create_directory(home() / ".ssh");
  ::chmod((home() / ".ssh").c_str(), 0755);
  EXPECT_EQ(put({{"/home/sandbox/.ssh", 040700, ""}, {"/home/sandbox/a/b", 040750, ""}}),
            std::vector<std::string>{});
  EXPECT_EQ(lstat_of(home() / ".ssh").st_mode, 040700u);
  EXPECT_EQ(lstat_of(home() / "a/b").st_mode, 040750u);
  EXPECT_EQ(lstat_of(home() / "a").st_mode, 040700u);
  EXPECT_EQ(lstat_of(home() / "a/b").st_uid, owner_);
}

TEST_F(Put, StripsSetuidAndSetgidButKeepsTheOtherBits) {
  EXPECT_EQ(
      put({{"/home/sandbox/tool", 0106755, "#!/bin/sh\n"}, {"/home/sandbox/shared", 041777, ""}}),
      std::vector<std::string>{});
  EXPECT_EQ(lstat_of(home() / "tool").st_mode, 0100755u);
  EXPECT_EQ(lstat_of(home() / "shared").st_mode, 041777u);
}

TEST_F(Put, RefusesPathsThatAreNotPlainAndUnderTheSandboxHome) {
  const char* bad[] = {"/etc/passwd",       "home/sandbox/x",   "/home/sandbox",
                       "/home/sandbox/",    "/home/sandboxy/x", "/home/sandbox/../x",
                       "/home/sandbox/./x", "/home/sandbox//x", "/home/sandbox/x/",
                       "/home/other/x"};
  for (const char* path : bad) {
    EXPECT_EQ(put({{path, 0100644, "x"}}),
              std::vector<std::string>{std::string(path) +
                                       ": not a plain absolute path under /home/sandbox"})
        << path;
  }
  EXPECT_FALSE(fs::exists(root_ / "x"));
  EXPECT_FALSE(fs::exists(root_ / "etc"));
}

TEST_F(Put, RefusesToWriteThroughASymlinkedParent) {
  fs::create_directory_symlink(root_ / "outside", home() / "link");
  EXPECT_EQ(put({{"/home/sandbox/link/f", 0100644, "x"}, {"/home/sandbox/ok", 0100644, "y"}}),
            std::vector<std::string>{"/home/sandbox/link/f: 'link' is a symlink"});
  EXPECT_TRUE(fs::is_empty(root_ / "outside"));
  EXPECT_EQ(read_file(home() / "ok"), "y");  // the batch goes on
}

TEST_F(Put, RefusesASymlinkedSandboxHome) {
  fs::remove(home());
  fs::create_directory_symlink(root_ / "outside", home());
  EXPECT_EQ(put({{"/home/sandbox/f", 0100644, "x"}}),
            std::vector<std::string>{"/home/sandbox/f: 'sandbox' is a symlink"});
  EXPECT_TRUE(fs::is_empty(root_ / "outside"));
}

TEST_F(Put, RefusesToReplaceASymlinkOrADirectoryWithAFile) {
  std::ofstream(root_ / "outside/target") << "keep";
  fs::create_symlink(root_ / "outside/target", home() / ".netrc");
  fs::create_directory(home() / "dir");
  EXPECT_EQ(put({{"/home/sandbox/.netrc", 0100600, "x"}, {"/home/sandbox/dir", 0100600, "x"}}),
            (std::vector<std::string>{
                "/home/sandbox/.netrc: it is a symlink in the guest",
                "/home/sandbox/dir: it exists in the guest and is not a regular file"}));
  EXPECT_EQ(read_file(root_ / "outside/target"), "keep");
  EXPECT_TRUE(fs::is_symlink(home() / ".netrc"));
}

TEST_F(Put, RefusesSymlinksDevicesAndFifos) {
  EXPECT_EQ(put({{"/home/sandbox/l", 0120777, "/etc/shadow"},
                 {"/home/sandbox/p", 010644, ""},
                 {"/home/sandbox/d", 060600, ""}}),
            (std::vector<std::string>{"/home/sandbox/l: not a regular file or a directory",
                                      "/home/sandbox/p: not a regular file or a directory",
                                      "/home/sandbox/d: not a regular file or a directory"}));
  EXPECT_TRUE(fs::is_empty(home()));
}

TEST_F(Put, ReportsAFailedFileOnceHoweverManyChunksFollow) {
  fs::create_directory_symlink(root_ / "outside", home() / "link");
  EXPECT_EQ(put({{"/home/sandbox/link/f", 0100644, "a"},
                 {"/home/sandbox/link/f", 0100644, "b"},
                 {"/home/sandbox/link/f", 0100644, "c"}}),
            std::vector<std::string>{"/home/sandbox/link/f: 'link' is a symlink"});
}

}  // namespace
}  // namespace bbox::guest
