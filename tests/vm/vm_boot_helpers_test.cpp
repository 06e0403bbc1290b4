#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vm/vm_boot.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name, const std::string& content) {
  fs::path p = fs::path(::testing::TempDir()) / (name + std::to_string(::getpid()));
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(FileTail, KeepsTheLastLinesIndentedWithControlCharactersEscaped) {
  std::string text;
  for (int i = 1; i <= 20; ++i) text += "line " + std::to_string(i) + "\r\n";
  text += "evil \x1b[2J end\n";
  fs::path p = temp_file("tail", text);
  EXPECT_EQ(file_tail(p, 3), "  | line 19\n  | line 20\n  | evil \\x1b[2J end");
  fs::remove(p);
}

TEST(FileTail, MissingFileIsEmpty) { EXPECT_EQ(file_tail("/nonexistent/console.log", 5), ""); }

TEST(ConsoleOom, RecognisesTheKernelsOomKillLine) {
  fs::path p = temp_file("oom", "[ 3.1] Out of memory: Killed process 88 (node) total-vm:1kB\n");
  EXPECT_TRUE(console_shows_oom(p));
  fs::path q = temp_file("nooom", "[ 3.1] all fine\n");
  EXPECT_FALSE(console_shows_oom(q));
  fs::remove(p);
  fs::remove(q);
}

TEST(ConsoleHalt, SeenOnlyAtTheEndOfTheConsole) {
  fs::path p = temp_file("halt", "boot\n[ 8.6] reboot: System halted\n");
  EXPECT_TRUE(console_shows_halt(p));
  fs::path q = temp_file("nohalt", "[ 8.6] reboot: System halted\n" + std::string(8192, 'x'));
  EXPECT_FALSE(console_shows_halt(q));
  fs::remove(p);
  fs::remove(q);
}

}  // namespace
}  // namespace bbox::vm
