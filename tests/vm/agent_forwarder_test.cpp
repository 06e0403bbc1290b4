// The SSH agent forwarder between a fake guest (a socketpair speaking the
// control protocol) and a fake agent (a listening unix socket of the test's).
#include "vm/agent_forwarder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bbox/common/message.h"
#include "fake_guest.h"
#include "vm/unix_socket.h"

namespace bbox::vm {
namespace {

using proto::Type;

constexpr uint32_t kG = proto::kFirstGuestChannel;

class Forwarder : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::connect_fake_guest(&to_guest_, &guest_));
    agent_path_ = ::testing::TempDir() + "agent-" + std::to_string(::getpid()) + ".sock";
    auto l = listen_unix(agent_path_, 0600);
    ASSERT_TRUE(l.ok()) << l.error().message;
    agent_listener_ = std::move(*l);
    // Room for every stream the forwarder allows, as a real agent has.
    ASSERT_EQ(::listen(agent_listener_.get(), 64), 0);
    forwarder_ = std::make_unique<AgentForwarder>(agent_path_, *to_guest_);
    ui::set_sink_for_tests(&messages_);
  }
  void TearDown() override {
    ui::set_sink_for_tests(nullptr);
    ::unlink(agent_path_.c_str());
  }

  // Rounds of the session loop: the forwarder's descriptors, then whatever
  // the guest sent, routed in.
  void pump(int rounds = 5) {
    for (int i = 0; i < rounds; ++i) {
      guest_->flush();
      std::vector<pollfd> fds = {{to_guest_->fd(), POLLIN, 0}};
      forwarder_->add_poll_fds(fds);
      ::poll(fds.data(), fds.size(), 20);
      forwarder_->handle(fds, 1);
      to_guest_->read_available();
      to_guest_->flush();
      while (auto f = to_guest_->next()) EXPECT_TRUE(forwarder_->route_from_guest(*f));
    }
  }

  std::optional<proto::Frame> next_to_guest() {
    for (int i = 0; i < 50; ++i) {
      pump(1);
      guest_->read_available();
      if (auto f = guest_->next()) return f;
    }
    return std::nullopt;
  }

  UniqueFd accept_agent_client() {
    auto fd = accept_with_timeout(agent_listener_.get(), std::chrono::milliseconds(1000));
    return fd.ok() ? std::move(*fd) : UniqueFd();
  }

  std::unique_ptr<ControlChannel> to_guest_;
  std::unique_ptr<ControlChannel> guest_;
  std::string agent_path_;
  UniqueFd agent_listener_;
  std::unique_ptr<AgentForwarder> forwarder_;
  std::string messages_;
};

TEST_F(Forwarder, RelaysBytesBothWaysAndClosesTheGuestStreamWhenTheAgentHangsUp) {
  guest_->send(Type::kStreamOpen, kG, {});
  guest_->send(Type::kStreamData, kG, "request");
  pump();
  UniqueFd agent = accept_agent_client();
  ASSERT_TRUE(agent.valid());
  char buf[64];
  ssize_t n = ::read(agent.get(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "request");

  ASSERT_TRUE(write_all(agent.get(), "reply").ok());
  auto reply = next_to_guest();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, Type::kStreamData);
  EXPECT_EQ(reply->channel, kG);
  EXPECT_EQ(reply->payload, "reply");

  agent.reset();
  auto close = next_to_guest();
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->type, Type::kStreamClose);
  EXPECT_EQ(close->channel, kG);
  EXPECT_EQ(forwarder_->streams(), 0u);
  EXPECT_EQ(messages_, "");
}

TEST_F(Forwarder, TheGuestClosingAStreamClosesTheAgentConnectionAfterItsData) {
  guest_->send(Type::kStreamOpen, kG, {});
  guest_->send(Type::kStreamData, kG, "last words");
  guest_->send(Type::kStreamClose, kG, {});
  pump();
  UniqueFd agent = accept_agent_client();
  ASSERT_TRUE(agent.valid());
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = ::read(agent.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(got, "last words");  // then end of file
  EXPECT_EQ(forwarder_->streams(), 0u);
}

TEST_F(Forwarder, RefusesStreamsBeyondTheLimit) {
  for (uint32_t i = 0; i <= AgentForwarder::kMaxStreams; ++i) {
    guest_->send(Type::kStreamOpen, kG + i, {});
  }
  auto refused = next_to_guest();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->type, Type::kStreamClose);
  EXPECT_EQ(refused->channel, kG + AgentForwarder::kMaxStreams);
  EXPECT_EQ(forwarder_->streams(), AgentForwarder::kMaxStreams);
  EXPECT_EQ(messages_, "");
}

TEST_F(Forwarder, AStreamFloodingAnAgentThatDoesNotReadIsClosed) {
  guest_->send(Type::kStreamOpen, kG, {});
  pump();
  UniqueFd agent = accept_agent_client();  // never reads
  ASSERT_TRUE(agent.valid());
  std::string chunk(64 * 1024, 'f');
  std::optional<proto::Frame> close;
  // Four times the limit: far more than the limit and the kernel's buffers.
  size_t rounds = 4 * AgentForwarder::kMaxPending / chunk.size();
  for (size_t i = 0; i < rounds && !close; ++i) {
    guest_->send(Type::kStreamData, kG, chunk);
    pump(1);
    guest_->read_available();
    close = guest_->next();
  }
  ASSERT_TRUE(close.has_value()) << "4x the limit went to an agent that reads nothing";
  EXPECT_EQ(close->type, Type::kStreamClose);
  EXPECT_EQ(close->channel, kG);
  EXPECT_EQ(forwarder_->streams(), 0u);
}

TEST_F(Forwarder, AgentsAreNotReadWhileTheGuestLeavesItsQueueFull) {
  guest_->send(Type::kStreamOpen, kG, {});
  pump();
  UniqueFd agent = accept_agent_client();
  ASSERT_TRUE(agent.valid());
  ASSERT_EQ(::fcntl(agent.get(), F_SETFL, O_NONBLOCK), 0);
  std::string chunk(64 * 1024, 'r');
  size_t written = 0;
  // The guest reads nothing; the agent writes until nothing more is taken.
  for (int stalled = 0, i = 0; stalled < 10 && i < 1000; ++i) {
    ssize_t n = ::send(agent.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) written += static_cast<size_t>(n);
    stalled = n > 0 ? 0 : stalled + 1;
    pump(1);
  }
  EXPECT_GT(written, AgentForwarder::kMaxControlQueue);
  EXPECT_GE(to_guest_->queued(), AgentForwarder::kMaxControlQueue);
  EXPECT_LT(to_guest_->queued(),
            AgentForwarder::kMaxControlQueue + AgentForwarder::kReadChunk + proto::kHeaderSize);
}

TEST_F(Forwarder, AnUnreachableAgentClosesEachStreamAndWarnsOnce) {
  agent_listener_.reset();
  ::unlink(agent_path_.c_str());
  guest_->send(Type::kStreamOpen, kG, {});
  guest_->send(Type::kStreamOpen, kG + 1, {});
  auto first = next_to_guest();
  auto second = next_to_guest();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->type, Type::kStreamClose);
  EXPECT_EQ(first->channel, kG);
  EXPECT_EQ(second->type, Type::kStreamClose);
  EXPECT_EQ(second->channel, kG + 1);
  EXPECT_EQ(messages_, "bbox: warning: forward the SSH agent: connect to '" + agent_path_ +
                           "': No such file or directory; the guest gets no keys this session\n");
}

TEST_F(Forwarder, StreamFramesOnHostChannelsAreTakenButNeverReachTheAgent) {
  proto::Frame open{Type::kStreamOpen, 5, ""};
  EXPECT_TRUE(forwarder_->route_from_guest(open));
  proto::Frame data{Type::kStreamData, 1, "x"};
  EXPECT_TRUE(forwarder_->route_from_guest(data));
  proto::Frame stdout_frame{Type::kStdout, kG, "x"};
  EXPECT_FALSE(forwarder_->route_from_guest(stdout_frame));
  pump();
  EXPECT_EQ(forwarder_->streams(), 0u);
  auto none = accept_with_timeout(agent_listener_.get(), std::chrono::milliseconds(0));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->valid());
}

TEST_F(Forwarder, AnOpenWithAPayloadIsRefused) {
  guest_->send(Type::kStreamOpen, kG, "unexpected");
  auto refused = next_to_guest();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->type, Type::kStreamClose);
  EXPECT_EQ(forwarder_->streams(), 0u);
}

}  // namespace
}  // namespace bbox::vm
