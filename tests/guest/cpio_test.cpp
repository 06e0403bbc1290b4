#include "vm/cpio.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace bbox::vm {
namespace {

TEST(Cpio, WritesNewcHeadersPaddedToFourBytes) {
  CpioWriter w;
  w.add_file("init", "abc", 0755);
  std::string a = std::move(w).finish();
  // 110-byte header + "init\0" = 115, padded to 116; data 3 padded to 4.
  ASSERT_GE(a.size(), 120u);
  EXPECT_EQ(a.substr(0, 6), "070701");
  EXPECT_EQ(a.substr(6 + 8, 8), "000081ED");       // S_IFREG | 0755
  EXPECT_EQ(a.substr(6 + 6 * 8, 8), "00000003");   // file size
  EXPECT_EQ(a.substr(6 + 11 * 8, 8), "00000005");  // name size with NUL
  EXPECT_EQ(a.substr(110, 5), std::string("init\0", 5));
  EXPECT_EQ(a.substr(116, 4), std::string("abc\0", 4));
  EXPECT_EQ(a.substr(120 + 110, 10), "TRAILER!!!");
  EXPECT_EQ(a.size() % 4, 0u);
}

TEST(Cpio, SameInputsGiveSameBytes) {
  auto build = [] {
    CpioWriter w;
    w.add_directory("lib");
    w.add_char_device("dev/console", 5, 1);
    w.add_file("lib/x", "data");
    return std::move(w).finish();
  };
  EXPECT_EQ(build(), build());
}

// GNU cpio, when installed, must read back exactly what we wrote.
TEST(Cpio, ReadsBackWithGnuCpio) {
  if (std::system("command -v cpio >/dev/null") != 0) GTEST_SKIP() << "no cpio to compare with";
  CpioWriter w;
  w.add_directory("d");
  w.add_file("d/hello.txt", "hello\n", 0640);
  w.add_file("odd", std::string(5, 'z'));
  std::string a = std::move(w).finish();
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("bbox-cpio-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.cpio", std::ios::binary) << a;
  std::string cmd = "cd " + dir.string() + " && mkdir x && cd x && cpio -id --quiet < ../a.cpio";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir / "x/d/hello.txt");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "hello\n");
  EXPECT_EQ(fs::file_size(dir / "x/odd"), 5u);
  EXPECT_EQ(fs::status(dir / "x/d/hello.txt").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bbox::vm
