// Fetching files from a fake guest: what comes back is checked before use.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "fake_guest.h"
#include "vm/guest_files.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using namespace std::chrono_literals;

TEST(SafeRelativePath, AcceptsPlainComponentsOnly) {
  EXPECT_TRUE(is_safe_relative_path(""));
  EXPECT_TRUE(is_safe_relative_path("a"));
  EXPECT_TRUE(is_safe_relative_path("a/b.c/..d"));
  EXPECT_FALSE(is_safe_relative_path("/etc/passwd"));
  EXPECT_FALSE(is_safe_relative_path("../x"));
  EXPECT_FALSE(is_safe_relative_path("a/../../x"));
  EXPECT_FALSE(is_safe_relative_path("a/./b"));
  EXPECT_FALSE(is_safe_relative_path("a//b"));
  EXPECT_FALSE(is_safe_relative_path("a/"));
  EXPECT_FALSE(is_safe_relative_path(std::string("a\0b", 3)));
}

class Fetch : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::connect_fake_guest(&host_, &guest_));
    ASSERT_NO_FATAL_FAILURE(testing::spawn_fake_qemu(&qemu_));
  }

  // The guest's answer to one FileGet: the given chunks, then FileEnd.
  void answer(std::vector<proto::FileChunk> chunks, const std::string& end) {
    std::string out;
    for (const auto& c : chunks) {
      out += proto::encode_frame(proto::Type::kFileData, 2, proto::encode(c));
    }
    out += proto::encode_frame(proto::Type::kFileEnd, 2, end);
    ASSERT_TRUE(write_all(guest_.get(), out).ok());
  }

  FetchedTree fetch(size_t* budget) {
    return fetch_guest_tree(*host_, qemu_, 2, "/home/sandbox/.cred",
                            std::chrono::steady_clock::now() + 10s, budget);
  }

  std::unique_ptr<ControlChannel> host_;
  UniqueFd guest_;
  ChildProcess qemu_;
};

TEST_F(Fetch, ChunksOfOneFileAreJoinedInOrder) {
  answer({{"", 040755, ""}, {"token", 0100600, "ab"}, {"token", 0100600, "cd"}}, "");
  size_t budget = 1000;
  FetchedTree t = fetch(&budget);
  EXPECT_EQ(t.error, "");
  ASSERT_EQ(t.entries.size(), 2u);
  EXPECT_EQ(t.entries[1].path, "token");
  EXPECT_EQ(t.entries[1].mode, 0100600u);
  EXPECT_EQ(t.entries[1].data, "abcd");
  // Two entries (paths "" and "token") and four bytes of data.
  EXPECT_EQ(budget, 1000u - 2 * kFetchEntryBytes - 5 - 4);
}

TEST_F(Fetch, AnEscapingPathDiscardsTheWholeTree) {
  answer({{"token", 0100600, "ok"}, {"../../etc/cron.d/x", 0100644, "evil"}}, "");
  size_t budget = 1000;
  FetchedTree t = fetch(&budget);
  EXPECT_EQ(t.error, "the guest sent an unsafe path");
  EXPECT_TRUE(t.entries.empty());
}

TEST_F(Fetch, MoreThanTheBudgetIsRefused) {
  answer({{"big", 0100644, std::string(64, 'x')}}, "");
  size_t budget = 10;
  FetchedTree t = fetch(&budget);
  EXPECT_EQ(t.error, "the guest sent more than the fetch limit");
  EXPECT_TRUE(t.entries.empty());
}

TEST_F(Fetch, ManyEmptyEntriesUseUpTheBudget) {
  std::vector<proto::FileChunk> chunks;
  for (int i = 0; i < 100; ++i) chunks.push_back({"f" + std::to_string(i), 0100644, ""});
  answer(chunks, "");
  size_t budget = 50 * kFetchEntryBytes;
  FetchedTree t = fetch(&budget);
  EXPECT_EQ(t.error, "the guest sent more than the fetch limit");
  EXPECT_TRUE(t.entries.empty());
}

TEST_F(Fetch, LongPathsWithoutDataUseUpTheBudget) {
  answer({{std::string(4000, 'p'), 040755, ""}}, "");
  size_t budget = 1000;
  FetchedTree t = fetch(&budget);
  EXPECT_EQ(t.error, "the guest sent more than the fetch limit");
  EXPECT_TRUE(t.entries.empty());
}

TEST_F(Fetch, TheGuestsErrorIsKept) {
  answer({}, "stat : No such file or directory");
  size_t budget = 10;
  EXPECT_EQ(fetch(&budget).error, "stat : No such file or directory");
}

}  // namespace
}  // namespace bbox::vm
