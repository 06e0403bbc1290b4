#include "bbox/log/log.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "bbox_test/files.h"
#include "bbox_test/temp_dir.h"

namespace bbox::log {
namespace {

using test_support::read_file;
using test_support::TempDir;

TEST(SessionLog, FileGetsDebugLinesAndIsPrivate) {
  TempDir d;
  init(Options{});
  auto file = d.path() / "session.log";
  ASSERT_TRUE(attach_session_file(file).ok());
  spdlog::debug("booting vm {}", 7);
  detach_session_file();
  spdlog::debug("after detach");
  std::string text = read_file(file);
  EXPECT_NE(text.find("debug ["), std::string::npos) << text;
  EXPECT_NE(text.find("booting vm 7"), std::string::npos);
  EXPECT_EQ(text.find("after detach"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SessionLog, RefusesASymlinkedLogPath) {
  TempDir d;
  std::filesystem::create_symlink(d.path() / "target", d.path() / "session.log");
  Status s = attach_session_file(d.path() / "session.log");
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(std::filesystem::exists(d.path() / "target"));
}

TEST(StderrLog, ShowsOnlyWarningsUnlessVerbose) {
  testing::internal::CaptureStderr();
  init(Options{});
  spdlog::info("quiet info");
  spdlog::warn("loud warning");
  init(Options{.verbose = true});
  spdlog::debug("verbose debug");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "bbox: warning: loud warning\nbbox: debug: verbose debug\n");
}

}  // namespace
}  // namespace bbox::log
