// The guest's agent socket run on the host: a client connects, and its bytes
// become stream frames on the control port (here a socketpair) and back.
#include "agent_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "bbox/vm/vm.h"
#include "bbox_test/temp_dir.h"
#include "log.h"

namespace bbox::guest {
namespace {

namespace fs = std::filesystem;
using proto::Type;

class Agent : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    path_ = (dir_ / "bbox/ssh-agent.sock").string();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    control_.reset(sv[0]);
    host_.reset(sv[1]);
    set_control_fd(control_.get());
    std::string error;
    ASSERT_TRUE(agent_.listen(path_, ::getuid(), ::getgid(), &error)) << error;
  }
  void TearDown() override { set_control_fd(-1); }

  void pump() {
    for (int i = 0; i < 3; ++i) {
      std::vector<pollfd> fds;
      agent_.add_poll_fds(fds);
      ::poll(fds.data(), fds.size(), 20);
      agent_.handle(fds, 0);
    }
  }

  proto::Frame next_frame() {
    for (;;) {
      if (auto f = reader_.next()) return *f;
      pollfd p{host_.get(), POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return proto::Frame{Type::kShutdown, 0, "timeout"};
      char buf[4096];
      ssize_t n = ::read(host_.get(), buf, sizeof buf);
      if (n <= 0) return proto::Frame{Type::kShutdown, 0, "closed"};
      reader_.feed(buf, static_cast<size_t>(n));
    }
  }

  UniqueFd connect_client() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fd.reset();
    return fd;
  }

  test_support::TempDir tmp_{"bbox-agent", "/tmp"};
  fs::path dir_;
  std::string path_;
  UniqueFd control_, host_;
  proto::FrameReader reader_;
  AgentSocket agent_;
};

TEST(AgentSocketPath, IsTheOneTheHostDocuments) {
  EXPECT_STREQ(kAgentSocketPath, vm::kGuestSshAgentSocket);
}

TEST_F(Agent, SocketIsPrivateToItsOwnerInAPrivateDirectory) {
  struct stat st {};
  ASSERT_EQ(::lstat((dir_ / "bbox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, 040700u);
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, 0140600u);
  EXPECT_EQ(st.st_uid, ::getuid());
}

TEST_F(Agent, EachConnectionIsAStreamOnAFreshGuestChannel) {
  UniqueFd a = connect_client();
  ASSERT_TRUE(a.valid());
  pump();
  UniqueFd b = connect_client();
  pump();
  proto::Frame open_a = next_frame(), open_b = next_frame();
  EXPECT_EQ(open_a.type, Type::kStreamOpen);
  EXPECT_EQ(open_a.channel, proto::kFirstGuestChannel);
  EXPECT_EQ(open_b.type, Type::kStreamOpen);
  EXPECT_EQ(open_b.channel, proto::kFirstGuestChannel + 1);

  ASSERT_EQ(::write(a.get(), "req", 3), 3);
  pump();
  proto::Frame data = next_frame();
  EXPECT_EQ(data.type, Type::kStreamData);
  EXPECT_EQ(data.channel, proto::kFirstGuestChannel);
  EXPECT_EQ(data.payload, "req");

  // The host's answer, then its close: the client reads the answer, then EOF.
  EXPECT_TRUE(agent_.from_host({Type::kStreamData, proto::kFirstGuestChannel, "answer"}));
  EXPECT_TRUE(agent_.from_host({Type::kStreamClose, proto::kFirstGuestChannel, ""}));
  char buf[64];
  ssize_t n = ::read(a.get(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "answer");
  EXPECT_EQ(::read(a.get(), buf, sizeof buf), 0);
  EXPECT_EQ(agent_.streams(), 1u);

  // The client hanging up is a close sent to the host.
  b.reset();
  pump();
  proto::Frame close = next_frame();
  EXPECT_EQ(close.type, Type::kStreamClose);
  EXPECT_EQ(close.channel, proto::kFirstGuestChannel + 1);
  EXPECT_EQ(agent_.streams(), 0u);
}

TEST_F(Agent, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  std::vector<UniqueFd> clients;
  for (size_t i = 0; i <= AgentSocket::kMaxStreams; ++i) {
    clients.push_back(connect_client());
    pump();
  }
  EXPECT_EQ(agent_.streams(), AgentSocket::kMaxStreams);
  char c;
  EXPECT_EQ(::read(clients.back().get(), &c, 1), 0);  // refused: end of file
}

TEST_F(Agent, TooMuchDataFromTheHostForAClientThatDoesNotReadClosesTheStream) {
  UniqueFd a = connect_client();
  pump();
  EXPECT_EQ(next_frame().type, Type::kStreamOpen);
  std::string chunk(256 * 1024, 'x');
  for (int i = 0; i < 16 && agent_.streams() == 1; ++i) {
    agent_.from_host({Type::kStreamData, proto::kFirstGuestChannel, chunk});
  }
  EXPECT_EQ(agent_.streams(), 0u);
  proto::Frame close = next_frame();
  EXPECT_EQ(close.type, Type::kStreamClose);
  EXPECT_EQ(close.channel, proto::kFirstGuestChannel);
}

}  // namespace
}  // namespace bbox::guest
