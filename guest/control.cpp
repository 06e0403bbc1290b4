#include "control.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "agent_socket.h"
#include "bbox/vm/guest_cmdline.h"
#include "channels.h"
#include "exec.h"
#include "file_put.h"
#include "files.h"
#include "log.h"

namespace bbox::guest {
namespace {

namespace gc = bbox::guest_cmdline;

constexpr int64_t kDrainAfterExitMs = 250;  // output still in flight after the exit
constexpr int64_t kShutdownGraceMs = 2000;  // for the host to read the last frames
constexpr size_t kMaxPendingInput = 16u << 20;

std::string read_small(const std::string& path) {
  char buf[256];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

int find_port_once() {
  DIR* d = ::opendir("/sys/class/virtio-ports");
  if (d == nullptr) return -1;
  int fd = -1;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name[0] == '.') continue;
    if (read_small("/sys/class/virtio-ports/" + name + "/name") != proto::kControlPortName) {
      continue;
    }
    // Non-blocking: see write_all in log.cpp for why writes must not block.
    fd = ::open(("/dev/" + name).c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    break;
  }
  ::closedir(d);
  return fd;
}

[[noreturn]] void host_gone() {
  set_control_fd(-1);  // nobody to tell but the console
  log("the host closed the control port; powering off");
  power_off();
}

class Server {
 public:
  explicit Server(int control) : control_(control) {}
  [[noreturn]] void run();

 private:
  void setup_signals();
  void send_hello();
  void handle_frame(const proto::Frame& f);
  void start(uint32_t channel, const std::string& payload);
  void put_file(const proto::Frame& f);
  void end_put(uint32_t channel);
  void listen_for_agent();
  void read_control();
  void read_kmsg();
  void reap();
  void finish_commands();
  int poll_timeout() const;

  int control_;
  UniqueFd sigfd_;
  UniqueFd kmsg_;
  UniqueFd root_;  // "/" for file puts
  proto::FrameReader reader_;
  std::map<uint32_t, Command> commands_;
  std::map<uint32_t, std::unique_ptr<FilePutter>> puts_;  // file batches by channel
  AgentSocket agent_;
  uint32_t session_channel_ = 0;
  uint64_t oom_kills_ = 0;
  int64_t power_off_at_ = -1;
};

void Server::setup_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  // SIGCHLD is taken through a signalfd so the loop reaps in one place.
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  sigfd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  // A vanished reader must give EPIPE, not kill PID 1.
  ::signal(SIGPIPE, SIG_IGN);
  kmsg_.reset(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (kmsg_) ::lseek(kmsg_.get(), 0, SEEK_END);  // only what happens from now on
}

void Server::send_hello() {
  utsname u{};
  ::uname(&u);
  proto::Hello hello;
  hello.kernel_release = u.release;
  std::string payload = proto::encode(hello);
  // The host may connect to the port after we are ready: until it does,
  // writes fail (EPIPE / ENOTCONN); keep trying for a while.
  for (int i = 0; i < 3000; ++i) {
    if (send_frame(proto::Type::kHello, 0, payload)) return;
    ::usleep(20 * 1000);
  }
  fatal("the host never opened the control port");
}

void Server::start(uint32_t channel, const std::string& payload) {
  proto::ExecRequest req;
  if (channel == 0 || commands_.count(channel) != 0 || !proto::decode(payload, &req)) {
    proto::ExitStatus st{false, 126, "bad exec request"};
    send_frame(proto::Type::kExit, channel, proto::encode(st));
    return;
  }
  if (session_channel_ == 0) session_channel_ = channel;
  Spawned s = spawn(req, agent_.listening() ? agent_.path() : std::string());
  Command& c = commands_[channel];
  c.pid = s.pid;
  c.tty = req.tty;
  c.input = std::move(s.input);
  c.output = std::move(s.output);
  c.errors = std::move(s.errors);
  c.start_error = s.start_error;
  c.oom_kills_at_start = oom_kills_;
  if (c.pid < 0) {  // nothing to wait for
    c.reaped = true;
    c.wait_status = 126 << 8;
    c.output.reset();
    c.errors.reset();
  }
}

void Server::put_file(const proto::Frame& f) {
  if (f.channel == 0) return;
  std::unique_ptr<FilePutter>& p = puts_[f.channel];
  if (!p) {
    if (!root_) root_.reset(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    p = std::make_unique<FilePutter>(root_.get(), gc::kSandboxUid, gc::kSandboxGid);
  }
  proto::FileChunk chunk;
  if (proto::decode(f.payload, &chunk)) {
    p->add(chunk);
  } else {
    send_frame(proto::Type::kFileError, f.channel,
               proto::encode(proto::FileError{"", "malformed file chunk"}));
  }
  for (const auto& e : p->take_errors()) {
    send_frame(proto::Type::kFileError, f.channel, proto::encode(e));
  }
}

void Server::end_put(uint32_t channel) {
  auto it = puts_.find(channel);
  if (it != puts_.end()) {
    it->second->finish();
    for (const auto& e : it->second->take_errors()) {
      send_frame(proto::Type::kFileError, channel, proto::encode(e));
    }
    puts_.erase(it);
  }
  send_frame(proto::Type::kFileEnd, channel, "");
}

void Server::listen_for_agent() {
  if (agent_.listening()) return;
  std::string error;
  if (!agent_.listen(kAgentSocketPath, gc::kSandboxUid, gc::kSandboxGid, &error)) {
    log("ssh agent forwarding is off: %s", error.c_str());
  }
}

void Server::handle_frame(const proto::Frame& f) {
  if (f.channel >= proto::kFirstGuestChannel) {
    agent_.from_host(f);
    return;
  }
  auto it = commands_.find(f.channel);
  Command* c = it == commands_.end() ? nullptr : &it->second;
  switch (f.type) {
    case proto::Type::kExec:
      start(f.channel, f.payload);
      break;
    case proto::Type::kStdin:
      if (c == nullptr) break;
      if (f.payload.empty())
        c->close_input = true;
      else if (c->pending_input.size() < kMaxPendingInput)
        c->pending_input += f.payload;
      pump_input(c);
      break;
    case proto::Type::kResize: {
      proto::Winsize ws;
      if (c == nullptr || !c->tty || !c->output || !proto::decode(f.payload, &ws)) break;
      winsize w{ws.rows, ws.cols, 0, 0};
      // The kernel sends SIGWINCH to the PTY's foreground process group.
      ::ioctl(c->output.get(), TIOCSWINSZ, &w);
      break;
    }
    case proto::Type::kSignal: {
      uint32_t sig = 0;
      if (c == nullptr || c->reaped || !proto::decode_u32(f.payload, &sig) || sig == 0 ||
          sig > 64) {
        break;
      }
      // The command leads its own session and process group (setsid).
      if (::kill(-c->pid, static_cast<int>(sig)) != 0) ::kill(c->pid, static_cast<int>(sig));
      break;
    }
    case proto::Type::kShutdown:
      power_off();  // does not return
    case proto::Type::kFileGet:
      send_files(f.channel, f.payload);
      break;
    case proto::Type::kFilePut:
      put_file(f);
      break;
    case proto::Type::kFilePutEnd:
      end_put(f.channel);
      break;
    case proto::Type::kAgentListen:
      listen_for_agent();
      break;
    default:
      break;  // unknown or host-bound types: ignored
  }
}

void Server::read_control() {
  char buf[64 * 1024];
  ssize_t n = ::read(control_, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) host_gone();
  reader_.feed(buf, static_cast<size_t>(n));
  while (auto f = reader_.next()) handle_frame(*f);
  if (reader_.failed()) fatal("protocol error on the control port (oversized frame)");
}

void Server::read_kmsg() {
  char rec[2048];
  for (;;) {
    ssize_t n = ::read(kmsg_.get(), rec, sizeof rec - 1);
    if (n < 0 && errno == EPIPE) continue;  // records overwritten: skip ahead
    if (n <= 0) return;
    std::string_view r(rec, static_cast<size_t>(n));
    size_t semi = r.find(';');
    std::string_view msg = semi == std::string_view::npos ? r : r.substr(semi + 1);
    msg = msg.substr(0, msg.find('\n'));
    // "Out of memory: Killed process 123 (node) ..." (also for cgroup limits).
    if (msg.find("Killed process") != std::string_view::npos) {
      ++oom_kills_;
      msg = msg.substr(0, 160);
      log("out of memory: %.*s", static_cast<int>(msg.size()), msg.data());
    }
  }
}

void Server::reap() {
  signalfd_siginfo si;
  while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
  }
  // PID 1 adopts every orphan: reap them all, not just our commands.
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto& [ch, c] : commands_) {
      if (c.pid != pid) continue;
      c.reaped = true;
      c.wait_status = status;
      c.drain_until_ms = now_ms() + kDrainAfterExitMs;
    }
  }
}

void Server::finish_commands() {
  if (kmsg_) read_kmsg();  // an OOM kill is logged before its victim is reaped
  for (auto it = commands_.begin(); it != commands_.end();) {
    Command& c = it->second;
    bool drained = !c.output && !c.errors;
    if (!c.reaped || (!drained && now_ms() < c.drain_until_ms)) {
      ++it;
      continue;
    }
    if (c.output) pump_output(&c.output, proto::Type::kStdout, it->first);
    if (c.errors) pump_output(&c.errors, proto::Type::kStderr, it->first);
    if (it->first == session_channel_) ::sync();  // workspace writes reach the host first
    send_frame(proto::Type::kExit, it->first, proto::encode(exit_status_of(c, oom_kills_)));
    if (it->first == session_channel_) power_off_at_ = now_ms() + kShutdownGraceMs;
    it = commands_.erase(it);
  }
}

int Server::poll_timeout() const {
  int64_t next = -1;
  for (const auto& [ch, c] : commands_) {
    if (c.reaped && (next < 0 || c.drain_until_ms < next)) next = c.drain_until_ms;
  }
  if (power_off_at_ >= 0 && (next < 0 || power_off_at_ < next)) next = power_off_at_;
  if (next < 0) return -1;
  return static_cast<int>(std::max<int64_t>(0, next - now_ms()));
}

void Server::run() {
  setup_signals();
  send_hello();
  for (;;) {
    std::vector<pollfd> fds = {
        {control_, POLLIN, 0}, {sigfd_.get(), POLLIN, 0}, {kmsg_.get(), POLLIN, 0}};
    std::vector<std::pair<uint32_t, int>> owners;  // (channel, which fd) per extra pollfd
    for (auto& [ch, c] : commands_) {
      if (c.output) fds.push_back({c.output.get(), POLLIN, 0}), owners.push_back({ch, 1});
      if (c.errors) fds.push_back({c.errors.get(), POLLIN, 0}), owners.push_back({ch, 2});
      if (c.input && !c.pending_input.empty()) {
        fds.push_back({c.input.get(), POLLOUT, 0}), owners.push_back({ch, 0});
      }
    }
    size_t agent_first = fds.size();
    if (agent_.listening()) agent_.add_poll_fds(fds);
    int n = ::poll(fds.data(), fds.size(), poll_timeout());
    if (n < 0 && errno != EINTR) fatal("poll: %s", std::strerror(errno));

    if (fds[1].revents) reap();
    if (fds[2].revents) read_kmsg();
    for (size_t i = 0; i < owners.size(); ++i) {
      if (!fds[i + 3].revents) continue;
      auto it = commands_.find(owners[i].first);
      if (it == commands_.end()) continue;
      Command& c = it->second;
      if (owners[i].second == 0) pump_input(&c);
      if (owners[i].second == 1) pump_output(&c.output, proto::Type::kStdout, it->first);
      if (owners[i].second == 2) pump_output(&c.errors, proto::Type::kStderr, it->first);
    }
    if (agent_.listening()) agent_.handle(fds, agent_first);
    if (fds[0].revents & POLLIN)
      read_control();
    else if (fds[0].revents & (POLLHUP | POLLERR))
      host_gone();
    finish_commands();
    if (power_off_at_ >= 0 && now_ms() >= power_off_at_) power_off();
  }
}

}  // namespace

int open_control_port() {
  // Ports are announced by the device after the driver loads; wait for ours
  // (up to 30 s: TCG on a loaded host is slow).
  for (int i = 0; i < 3000; ++i) {
    int fd = find_port_once();
    if (fd >= 0) return fd;
    ::usleep(10 * 1000);
  }
  return -1;
}

void serve(int control_fd) {
  Server s(control_fd);
  s.run();
}

}  // namespace bbox::guest
