// Putting files into a fake guest: how they are framed, and what the host
// keeps of the guest's answers.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "fake_guest.h"
#include "vm/guest_file_put.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using namespace std::chrono_literals;
using proto::Type;

class PutFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::connect_fake_guest(&host_, &guest_));
    ASSERT_NO_FATAL_FAILURE(testing::spawn_fake_qemu(&qemu_));
  }

  // The guest: reads frames until kFilePutEnd (keeping them), then sends
  // `answer` (already framed).
  std::thread guest(std::vector<proto::Frame>* got, std::string answer) {
    return std::thread([this, got, answer] {
      proto::FrameReader r;
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(guest_.get(), buf, sizeof buf);
        if (n <= 0) return;
        r.feed(buf, static_cast<size_t>(n));
        while (auto f = r.next()) {
          got->push_back(*f);
          if (f->type == Type::kFilePutEnd) {
            (void)write_all(guest_.get(), answer);
            return;
          }
        }
      }
    });
  }

  PutOutcome put(const std::vector<GuestFile>& files, std::chrono::seconds limit = 10s) {
    return put_guest_files(*host_, qemu_, 2, files, std::chrono::steady_clock::now() + limit, log_);
  }

  static std::string error_frame(const std::string& path, const std::string& error) {
    return proto::encode_frame(Type::kFileError, 2, proto::encode(proto::FileError{path, error}));
  }

  std::unique_ptr<ControlChannel> host_;
  UniqueFd guest_;
  ChildProcess qemu_;
  GuestLog log_;
};

TEST(PutChunk, LargestChunkWithTheLongestPathFitsInOneFrame) {
  proto::FileChunk c{std::string(kMaxPutPath, 'p'), 0100644, std::string(kPutChunk, 'd')};
  EXPECT_LE(proto::encode(c).size(), proto::kMaxPayload);
}

TEST_F(PutFiles, SplitsBigFilesIntoChunksInOrderThenEndsTheBatch) {
  std::string big(2 * kPutChunk + 10, 'b');
  big[kPutChunk] = 'X';
  std::vector<proto::Frame> got;
  std::thread g = guest(&got, proto::encode_frame(Type::kFileEnd, 2, ""));
  PutOutcome o = put({{"/home/sandbox/big", 0100600, big},
                      {"/home/sandbox/.ssh", 040700, ""},
                      {"/home/sandbox/empty", 0100644, ""}});
  g.join();
  EXPECT_EQ(o.error, "");
  EXPECT_TRUE(o.failed.empty());
  ASSERT_EQ(got.size(), 6u);
  std::string joined;
  for (int i = 0; i < 3; ++i) {
    proto::FileChunk c;
    ASSERT_TRUE(proto::decode(got[i].payload, &c));
    EXPECT_EQ(got[i].type, Type::kFilePut);
    EXPECT_EQ(got[i].channel, 2u);
    EXPECT_EQ(c.path, "/home/sandbox/big");
    EXPECT_EQ(c.mode, 0100600u);
    joined += c.data;
  }
  EXPECT_EQ(joined, big);
  proto::FileChunk dir, empty;
  ASSERT_TRUE(proto::decode(got[3].payload, &dir));
  ASSERT_TRUE(proto::decode(got[4].payload, &empty));
  EXPECT_EQ(dir.path, "/home/sandbox/.ssh");
  EXPECT_EQ(dir.mode, 040700u);
  EXPECT_EQ(empty.path, "/home/sandbox/empty");
  EXPECT_EQ(empty.data, "");
  EXPECT_EQ(got[5].type, Type::kFilePutEnd);
}

TEST_F(PutFiles, KeepsTheGuestsErrorsButNoMoreThanOnePerFileSent) {
  std::vector<proto::Frame> got;
  std::string answer = error_frame("/etc/passwd", "not under /home/sandbox");
  for (int i = 0; i < 100; ++i) answer += error_frame("/flood", "x");
  answer += proto::encode_frame(Type::kFileEnd, 2, "");
  std::thread g = guest(&got, answer);
  PutOutcome o = put({{"/etc/passwd", 0100644, "x"}, {"/home/sandbox/a", 0100644, "y"}});
  g.join();
  EXPECT_EQ(o.error, "");
  ASSERT_EQ(o.failed.size(), 2u);
  EXPECT_EQ(o.failed[0].path, "/etc/passwd");
  EXPECT_EQ(o.failed[0].error, "not under /home/sandbox");
}

TEST_F(PutFiles, AGuestThatNeverConfirmsEndsTheWaitAtTheDeadline) {
  std::vector<proto::Frame> got;
  std::thread g = guest(&got, "");
  auto start = std::chrono::steady_clock::now();
  PutOutcome o = put({{"/home/sandbox/a", 0100644, "y"}}, 1s);
  g.join();
  EXPECT_EQ(o.error, "the guest did not confirm the files in time");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(PutFiles, APathTooLongIsReportedWithoutBeingSent) {
  std::vector<proto::Frame> got;
  std::thread g = guest(&got, proto::encode_frame(Type::kFileEnd, 2, ""));
  std::string long_path = "/home/sandbox/" + std::string(kMaxPutPath, 'a');
  PutOutcome o = put({{long_path, 0100644, "y"}});
  g.join();
  ASSERT_EQ(o.failed.size(), 1u);
  EXPECT_EQ(o.failed[0].error, "path too long");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, Type::kFilePutEnd);
}

}  // namespace
}  // namespace bbox::vm
