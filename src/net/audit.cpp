#include "bbox/net/audit.h"

#include <algorithm>

namespace bbox::net {

namespace {
constexpr size_t kMaxItems = 1024;  // distinct blocked items remembered
constexpr size_t kItemsShown = 8;   // in the summary line
}  // namespace

AuditLog::AuditLog(AuditSink sink, double per_second, double burst)
    : sink_(std::move(sink)),
      per_second_(per_second),
      burst_(burst),
      tokens_(burst),
      refilled_(Clock::now()) {}

bool AuditLog::take_token() {
  auto now = Clock::now();
  std::chrono::duration<double> dt = now - refilled_;
  refilled_ = now;
  tokens_ = std::min(burst_, tokens_ + dt.count() * per_second_);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void AuditLog::write(std::string_view line) {
  if (!sink_) return;
  if (!take_token()) {
    ++suppressed_;
    return;
  }
  if (suppressed_ > suppressed_reported_) {
    sink_("" + std::to_string(suppressed_ - suppressed_reported_) +
          " audit lines suppressed (rate limit)");
    suppressed_reported_ = suppressed_;
  }
  sink_(line);
}

void AuditLog::allowed(std::string_view line) {
  std::lock_guard lock(mu_);
  write(line);
}

void AuditLog::blocked(std::string_view item, std::string_view line) {
  std::lock_guard lock(mu_);
  std::string key(item);
  if (!blocked_seen_.count(key)) {
    if (blocked_seen_.size() < kMaxItems) {
      blocked_seen_.insert(key);
      blocked_items_.push_back(key);
    } else {
      ++blocked_overflow_;
    }
  }
  write(line);
}

void AuditLog::malformed(std::string_view what) {
  std::lock_guard lock(mu_);
  ++malformed_;
  write(std::string("dropped malformed ") + std::string(what) + " from the guest");
}

std::string AuditLog::blocked_summary() const {
  std::lock_guard lock(mu_);
  if (blocked_items_.empty()) return "";
  uint64_t total = blocked_items_.size() + blocked_overflow_;
  std::string s = "blocked " + std::to_string(total) + ": ";
  size_t shown = std::min(kItemsShown, blocked_items_.size());
  for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + blocked_items_[i];
  if (total > shown) s += ", and " + std::to_string(total - shown) + " more";
  return s;
}

uint64_t AuditLog::malformed_count() const {
  std::lock_guard lock(mu_);
  return malformed_;
}

uint64_t AuditLog::suppressed_count() const {
  std::lock_guard lock(mu_);
  return suppressed_;
}

}  // namespace bbox::net
