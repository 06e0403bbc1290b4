// A workspace, a directory beside it that must never be touched ($OUT), and
// a private XDG cache, for tests that take snapshots and flush them.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#include "bbox/common/message.h"
#include "bbox/workspace/workspace.h"
#include "workspace/test_util.h"

namespace bbox::workspace::testing {

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws = tmp.path() / "ws";
    out = tmp.path() / "out";
    fs::create_directories(ws);
    fs::create_directories(out);
    write_file(out / "victim.txt", "outside\n");
    ::setenv("XDG_CACHE_HOME", (tmp.path() / "cache").c_str(), 1);
    ui::set_sink_for_tests(&messages);
  }
  void TearDown() override { ui::set_sink_for_tests(nullptr); }

  // Creates a session and snapshots ws into it; fails the test on error.
  SessionDir snapshot(std::vector<std::string> excludes = {}) {
    auto s = create_session(ws);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    auto st = take_snapshot(*s, SnapshotOptions{ws, std::move(excludes)});
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    if (st.ok()) stats = *st;
    return *s;
  }

  TempDir tmp;
  fs::path ws, out;
  std::string messages;
  SnapshotStats stats;
};

}  // namespace bbox::workspace::testing
