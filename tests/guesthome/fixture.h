// A temporary host home and captured messages, for guesthome tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bbox/common/message.h"
#include "bbox/guesthome/guesthome.h"

namespace bbox::guesthome::testing {

namespace fs = std::filesystem;

class HomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "bbox-home-XXXXXX").string();
    root = ::mkdtemp(t.data());
    home = root / "home";
    store = root / "store";
    fs::create_directories(home);
    ui::set_sink_for_tests(&messages);
  }
  void TearDown() override {
    ui::set_sink_for_tests(nullptr);
    fs::permissions(root, fs::perms::owner_all);
    fs::remove_all(root);
  }

  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static uint32_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode;
  }

  // Imports `items` from home into a fresh set of files.
  HomeFiles import(const std::vector<SettingsItem>& items, const SettingsLimits& limits = {}) {
    HomeFiles files;
    import_settings(home, items, files, limits);
    return files;
  }

  fs::path root, home, store;
  std::string messages;
};

}  // namespace bbox::guesthome::testing
