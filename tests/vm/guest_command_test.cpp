// The command bridge against a fake guest on the other end of a socketpair.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "fake_guest.h"
#include "vm/guest_command.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using proto::Type;

// The guest's side: reads frames, answers through `reply`.
class FakeGuest {
 public:
  explicit FakeGuest(int fd) : fd_(fd) {}

  proto::Frame next() {
    while (true) {
      if (auto f = reader_.next()) return *f;
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n <= 0) return proto::Frame{Type::kShutdown, 0, "closed"};
      reader_.feed(buf, static_cast<size_t>(n));
    }
  }
  void send(Type t, std::string_view payload) {
    ASSERT_TRUE(write_all(fd_, proto::encode_frame(t, 1, payload)).ok());
  }
  void exit_with(bool signaled, int code) {
    proto::ExitStatus st;
    st.signaled = signaled;
    st.code = code;
    send(Type::kExit, proto::encode(st));
  }

 private:
  int fd_;
  proto::FrameReader reader_;
};

class Bridge : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::connect_fake_guest(&host_, &guest_fd_));
    ASSERT_NO_FATAL_FAILURE(testing::spawn_fake_qemu(&qemu_));
    auto s = SignalPipe::install({SIGINT, SIGTERM, SIGHUP, SIGWINCH});
    ASSERT_TRUE(s.ok());
    signals_.emplace(std::move(*s));
    out_path_ = ::testing::TempDir() + "bridge-out-" + std::to_string(::getpid());
    out_.reset(::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  }

  CommandOutcome run(int in_fd) {
    BridgeIo io;
    io.in_fd = in_fd;
    io.out_fd = out_.get();
    io.err_fd = out_.get();
    proto::ExecRequest req;
    req.argv = {"cmd"};
    return run_guest_command(req, *host_, &qemu_, *signals_, log_, io);
  }

  std::string output() {
    std::ifstream in(out_path_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::unique_ptr<ControlChannel> host_;
  UniqueFd guest_fd_;
  ChildProcess qemu_;
  std::optional<SignalPipe> signals_;
  GuestLog log_;
  std::string out_path_;
  UniqueFd out_;
};

UniqueFd stdin_with(const std::string& data) {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(::write(p[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(p[1]);
  return UniqueFd(p[0]);
}

TEST_F(Bridge, StdinGoesInOutputComesOutAndTheExitStatusIsReturned) {
  std::string got_stdin;
  std::thread guest([&] {
    FakeGuest g(guest_fd_.get());
    EXPECT_EQ(g.next().type, Type::kExec);
    for (proto::Frame f = g.next(); f.type == Type::kStdin && !f.payload.empty(); f = g.next()) {
      got_stdin += f.payload;
    }
    g.send(Type::kStdout, "out:" + got_stdin);
    g.exit_with(false, 3);
  });
  UniqueFd in = stdin_with("typed input");
  CommandOutcome o = run(in.get());
  guest.join();
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_FALSE(o.guest_gone);
  EXPECT_EQ(got_stdin, "typed input");
  EXPECT_EQ(output(), "out:typed input");
}

TEST_F(Bridge, SigtermToBboxIsForwardedAndTheSignalDeathIs128PlusN) {
  uint32_t forwarded = 0;
  std::thread guest([&] {
    FakeGuest g(guest_fd_.get());
    EXPECT_EQ(g.next().type, Type::kExec);
    ::kill(::getpid(), SIGTERM);
    proto::Frame f = g.next();
    while (f.type == Type::kStdin) f = g.next();
    EXPECT_EQ(f.type, Type::kSignal);
    EXPECT_TRUE(proto::decode_u32(f.payload, &forwarded));
    g.exit_with(true, static_cast<int>(forwarded));
  });
  CommandOutcome o = run(-1);
  guest.join();
  EXPECT_EQ(forwarded, static_cast<uint32_t>(SIGTERM));
  EXPECT_EQ(o.exit_code, 128 + SIGTERM);
  EXPECT_EQ(o.stopped_by, SIGTERM);  // interrupted: the session must not flush
}

TEST_F(Bridge, ACommandIgnoringTheForwardedSignalIsStoppedAfterTheGracePeriod) {
  std::thread guest([&] {
    FakeGuest g(guest_fd_.get());
    EXPECT_EQ(g.next().type, Type::kExec);
    ::kill(::getpid(), SIGINT);
    while (g.next().type != Type::kShutdown) {
    }
  });
  auto start = std::chrono::steady_clock::now();
  CommandOutcome o = run(-1);
  auto took = std::chrono::steady_clock::now() - start;
  host_.reset();  // closes the socket: the fake guest sees the end
  guest.join();
  EXPECT_EQ(o.stopped_by, SIGINT);
  EXPECT_EQ(o.exit_code, 128 + SIGINT);
  EXPECT_GE(took, kSignalGrace);
}

TEST_F(Bridge, QemuDyingWithoutAnExitStatusIsAGuestCrash) {
  std::thread guest([&] {
    FakeGuest g(guest_fd_.get());
    EXPECT_EQ(g.next().type, Type::kExec);
    g.send(Type::kStdout, "partial");
    qemu_.signal(SIGKILL);
  });
  CommandOutcome o = run(-1);
  guest.join();
  EXPECT_TRUE(o.guest_gone);
  EXPECT_EQ(o.message, "QEMU killed by signal 9");
  EXPECT_EQ(output(), "partial");
}

TEST_F(Bridge, AnOversizedFrameEndsTheSessionAsAGuestFault) {
  std::thread guest([&] {
    FakeGuest g(guest_fd_.get());
    EXPECT_EQ(g.next().type, Type::kExec);
    std::string header(proto::kHeaderSize, '\0');
    uint32_t len = proto::kMaxPayload + 1;
    std::memcpy(header.data(), &len, 4);  // little endian host
    header[4] = static_cast<char>(Type::kStdout);
    EXPECT_TRUE(write_all(guest_fd_.get(), header).ok());
  });
  CommandOutcome o = run(-1);
  guest.join();
  EXPECT_TRUE(o.guest_gone);
  EXPECT_EQ(o.message, "the control channel closed");
}

}  // namespace
}  // namespace bbox::vm
