#include "net/slirp_loop.h"

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

#include "net/wire.h"

namespace bbox::net {

namespace {

constexpr size_t kMaxGuestOutput = 8 << 20;  // frames queued for QEMU before dropping
constexpr size_t kReadChunk = 256 << 10;

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

in_addr v4(uint32_t host_order) { return in_addr{htonl(host_order)}; }

SlirpConfig slirp_config(const EgressPolicy& policy) {
  SlirpConfig c{};
  c.version = 4;
  c.restricted = 0;  // the EgressFilter restricts; libslirp only does NAT
  c.in_enabled = true;
  c.vnetwork = v4(kNetwork);
  c.vnetmask = v4(0xffffff00);
  c.vhost = v4(kGatewayIp);
  c.in6_enabled = policy.allow_ipv6;
  inet_pton(AF_INET6, "fec0::", &c.vprefix_addr6);
  c.vprefix_len = 64;
  c.if_mtu = kGuestMtu;  // TCP still follows the MSS the guest announces
  c.if_mru = kGuestMtu;
  inet_pton(AF_INET6, "fec0::2", &c.vhost6);
  inet_pton(AF_INET6, "fec0::3", &c.vnameserver6);
  c.vdhcp_start = v4(kGuestIp);
  c.vnameserver = v4(kResolverIp);
  c.disable_host_loopback = false;  // gateway:PORT -> 127.0.0.1:PORT, filtered per port
  c.enable_emu = false;
  c.disable_dns = true;   // the EgressFilter answers DNS itself
  c.disable_dhcp = true;  // bbox-init configures the guest statically
  return c;
}

}  // namespace

SlirpLoop::SlirpLoop(EgressPolicy policy, AuditLog& audit, UniqueFd listener,
                     std::vector<UniqueFd> upstream)
    : audit_(audit),
      filter_(std::move(policy), audit,
              {[this](std::vector<uint8_t> f) { queue_to_guest(std::move(f)); },
               [this](Bytes d) { return send_upstream(d); }}),
      listener_(std::move(listener)),
      upstream_(std::move(upstream)) {}

int SlirpLoop::send_upstream(Bytes query) {
  auto channel = static_cast<size_t>(pick_() % upstream_.size());
  // Connected UDP socket; a failed send shows up as SERVFAIL later.
  (void)::send(upstream_[channel].get(), query.data(), query.size(), MSG_DONTWAIT);
  return static_cast<int>(channel);
}

SlirpLoop::~SlirpLoop() {
  stop_ = true;
  if (wake_) {
    uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (slirp_) slirp_cleanup(slirp_);
  for (Timer* t : timers_) delete t;
}

Status SlirpLoop::start() {
  wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return errno_error("create eventfd", errno);

  callbacks_.send_packet = cb_send_packet;
  callbacks_.guest_error = cb_guest_error;
  callbacks_.clock_get_ns = cb_clock_ns;
  callbacks_.timer_free = cb_timer_free;
  callbacks_.timer_mod = cb_timer_mod;
  callbacks_.register_poll_fd = [](int, void*) {};
  callbacks_.unregister_poll_fd = [](int, void*) {};
  callbacks_.notify = [](void*) {};
  callbacks_.timer_new_opaque = cb_timer_new;
  SlirpConfig config = slirp_config(filter_.rules().policy());
  slirp_ = slirp_new(&config, &callbacks_, this);
  if (!slirp_) return Error{"start the guest network: libslirp refused its configuration"};

  thread_ = std::thread([this] { run(); });
  return ok_status();
}

Status SlirpLoop::add_service(uint16_t port, const std::string& unix_socket) {
  std::lock_guard lock(mu_);
  in_addr services = v4(kServicesIp);
  if (slirp_add_unix(slirp_, unix_socket.c_str(), &services, port) != 0) {
    return Error{"open host service on gateway port " + std::to_string(port) +
                 ": libslirp refused it (port already used?)"};
  }
  filter_.add_service_port(port);
  uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof one);
  return ok_status();
}

void SlirpLoop::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    iterate();
  }
}

int SlirpLoop::poll_timeout_ms(uint32_t slirp_timeout) {
  int64_t now_ms = monotonic_ns() / 1000000;
  int64_t timeout = std::min<int64_t>(slirp_timeout, 1000);
  for (const Timer* t : timers_) {
    if (t->expire_ms >= 0) timeout = std::min(timeout, std::max<int64_t>(0, t->expire_ms - now_ms));
  }
  if (auto deadline = filter_.next_deadline()) {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(*deadline - EgressFilter::Clock::now());
    timeout = std::min<int64_t>(timeout, std::max<int64_t>(0, left.count()));
  }
  return static_cast<int>(timeout);
}

void SlirpLoop::iterate() {
  pollfds_.clear();
  uint32_t slirp_timeout = 1000;
  slirp_pollfds_fill(slirp_, &slirp_timeout, cb_add_poll, this);
  size_t own = pollfds_.size();
  pollfds_.push_back({wake_.get(), POLLIN, 0});
  pollfds_.push_back({listener_.get(), POLLIN, 0});
  for (const UniqueFd& fd : upstream_) pollfds_.push_back({fd.get(), POLLIN, 0});
  size_t guest_at = pollfds_.size();
  if (guest_) {
    short events = static_cast<short>(out_.size() < kMaxGuestOutput ? POLLIN : 0);
    if (!out_.empty()) events |= POLLOUT;
    pollfds_.push_back({guest_.get(), events, 0});
  }
  int timeout = poll_timeout_ms(slirp_timeout);

  mu_.unlock();  // add_service() may run while we wait
  int n = ::poll(pollfds_.data(), pollfds_.size(), timeout);
  int err = errno;
  mu_.lock();

  slirp_pollfds_poll(slirp_, n < 0 && err != EINTR, cb_get_revents, this);
  if (pollfds_[own].revents & POLLIN) {
    uint64_t count;
    (void)::read(wake_.get(), &count, sizeof count);
  }
  for (size_t i = 0; i < upstream_.size(); ++i) {
    if (pollfds_[own + 2 + i].revents & POLLIN) read_upstream(i);
  }
  if (pollfds_[own + 1].revents & POLLIN) handle_listener();
  if (guest_ && pollfds_.size() > guest_at) {
    short re = pollfds_[guest_at].revents;
    if (re & POLLOUT) flush_guest();
    if (re & (POLLIN | POLLHUP | POLLERR)) read_guest();
  }
  run_timers();
  filter_.expire(EgressFilter::Clock::now());
  flush_guest();
}

void SlirpLoop::handle_listener() {
  UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!conn) return;
  if (guest_) return;  // one QEMU at a time; later connections are closed at once
  guest_ = std::move(conn);
  in_.clear();
  out_.clear();
}

void SlirpLoop::read_guest() {
  size_t old = in_.size();
  in_.resize(old + kReadChunk);
  ssize_t n = ::read(guest_.get(), in_.data() + old, kReadChunk);
  if (n <= 0) {
    in_.resize(old);
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_guest();
    return;
  }
  in_.resize(old + static_cast<size_t>(n));

  size_t pos = 0;
  auto now = EgressFilter::Clock::now();
  while (in_.size() - pos >= 4) {
    size_t len = wire::be32(&in_[pos]);
    if (len == 0 || len > kMaxFrame) {
      audit_.malformed("frame length from QEMU; connection closed");
      close_guest();
      return;
    }
    if (in_.size() - pos - 4 < len) break;
    std::vector<uint8_t> frame(in_.begin() + pos + 4, in_.begin() + pos + 4 + len);
    pos += 4 + len;
    if (filter_.from_guest(frame, now)) {
      slirp_input(slirp_, frame.data(), static_cast<int>(frame.size()));
    }
  }
  in_.erase(in_.begin(), in_.begin() + pos);
}

void SlirpLoop::queue_to_guest(std::vector<uint8_t> frame) {
  if (!guest_ || out_.size() + frame.size() + 4 > kMaxGuestOutput) return;  // TCP retransmits
  size_t at = out_.size();
  out_.resize(at + 4);
  wire::put32(&out_[at], static_cast<uint32_t>(frame.size()));
  out_.insert(out_.end(), frame.begin(), frame.end());  // flushed once per loop iteration
}

void SlirpLoop::flush_guest() {
  while (guest_ && !out_.empty()) {
    ssize_t n = ::send(guest_.get(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) close_guest();
      return;
    }
    out_.erase(out_.begin(), out_.begin() + n);
  }
}

void SlirpLoop::close_guest() {
  guest_.reset();
  in_.clear();
  out_.clear();
}

void SlirpLoop::read_upstream(size_t channel) {
  std::vector<uint8_t> buf(65536);
  for (int i = 0; i < 64; ++i) {
    ssize_t n = ::recv(upstream_[channel].get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) return;  // EAGAIN, or ICMP refused on the connected socket
    filter_.from_upstream(Bytes(buf.data(), static_cast<size_t>(n)), EgressFilter::Clock::now(),
                          static_cast<int>(channel));
  }
}

void SlirpLoop::run_timers() {
  int64_t now_ms = monotonic_ns() / 1000000;
  std::vector<Timer*> due;
  for (Timer* t : timers_) {
    if (t->expire_ms >= 0 && t->expire_ms <= now_ms) due.push_back(t);
  }
  for (Timer* t : due) {
    if (std::find(timers_.begin(), timers_.end(), t) == timers_.end()) continue;
    t->expire_ms = -1;
    slirp_handle_timer(slirp_, t->id, t->cb_opaque);
  }
}

ssize_t SlirpLoop::cb_send_packet(const void* buf, size_t len, void* opaque) {
  auto* self = static_cast<SlirpLoop*>(opaque);
  auto* bytes = static_cast<const uint8_t*>(buf);
  std::vector<uint8_t> frame(bytes, bytes + len);
  self->filter_.from_slirp(frame);
  self->queue_to_guest(std::move(frame));
  return static_cast<ssize_t>(len);
}

void SlirpLoop::cb_guest_error(const char* msg, void* opaque) {
  static_cast<SlirpLoop*>(opaque)->audit_.malformed(std::string("input (libslirp: ") + msg + ")");
}

int64_t SlirpLoop::cb_clock_ns(void*) { return monotonic_ns(); }

void* SlirpLoop::cb_timer_new(SlirpTimerId id, void* cb_opaque, void* opaque) {
  auto* self = static_cast<SlirpLoop*>(opaque);
  auto* t = new Timer{id, cb_opaque};
  self->timers_.push_back(t);
  return t;
}

void SlirpLoop::cb_timer_free(void* timer, void* opaque) {
  auto* self = static_cast<SlirpLoop*>(opaque);
  auto* t = static_cast<Timer*>(timer);
  std::erase(self->timers_, t);
  delete t;
}

void SlirpLoop::cb_timer_mod(void* timer, int64_t expire_ms, void*) {
  static_cast<Timer*>(timer)->expire_ms = expire_ms;
}

int SlirpLoop::cb_add_poll(int fd, int events, void* opaque) {
  auto* self = static_cast<SlirpLoop*>(opaque);
  short ev = 0;
  if (events & SLIRP_POLL_IN) ev |= POLLIN;
  if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
  self->pollfds_.push_back({fd, ev, 0});
  return static_cast<int>(self->pollfds_.size() - 1);
}

int SlirpLoop::cb_get_revents(int idx, void* opaque) {
  auto* self = static_cast<SlirpLoop*>(opaque);
  if (idx < 0 || static_cast<size_t>(idx) >= self->pollfds_.size()) return 0;
  short re = self->pollfds_[idx].revents;
  int out = 0;
  if (re & POLLIN) out |= SLIRP_POLL_IN;
  if (re & POLLOUT) out |= SLIRP_POLL_OUT;
  if (re & POLLPRI) out |= SLIRP_POLL_PRI;
  if (re & POLLERR) out |= SLIRP_POLL_ERR;
  if (re & POLLHUP) out |= SLIRP_POLL_HUP;
  return out;
}

}  // namespace bbox::net
