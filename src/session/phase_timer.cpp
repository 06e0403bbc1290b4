#include "session/phase_timer.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace bbox::session {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  RAND_bytes(buf.data(), static_cast<int>(buf.size()));
  std::string out;
  for (unsigned char c : buf) out += fmt::format("{:02x}", c);
  return out;
}

std::string unix_nanos(PhaseTimer::Clock::time_point t) {
  return std::to_string(duration_cast<nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

void PhaseTimer::begin(const std::string& name) {
  end();
  phases_.push_back(Phase{name, Clock::now(), {}});
  open_ = true;
}

void PhaseTimer::end() {
  if (!open_) return;
  phases_.back().duration = Clock::now() - phases_.back().start;
  open_ = false;
}

void PhaseTimer::add(const std::string& name, Clock::time_point start, Clock::duration duration) {
  phases_.push_back(Phase{name, start, duration});
}

std::string PhaseTimer::table() const {
  std::string out = fmt::format("{:<24} {:>10}\n", "phase", "ms");
  Clock::duration total{};
  for (const Phase& p : phases_) {
    auto ms = duration_cast<std::chrono::milliseconds>(p.duration).count();
    out += fmt::format("{:<24} {:>10}\n", p.name, ms);
    total += p.duration;
  }
  auto total_ms = duration_cast<std::chrono::milliseconds>(total).count();
  out += fmt::format("{:<24} {:>10}\n", "total", total_ms);
  return out;
}

Status PhaseTimer::write_trace(const std::filesystem::path& path,
                               const std::string& session_id) const {
  const std::string trace_id = random_hex(16);
  const std::string root_id = random_hex(8);
  nlohmann::json spans = nlohmann::json::array();
  Clock::time_point first = phases_.empty() ? Clock::now() : phases_.front().start;
  Clock::time_point last = first;
  for (const Phase& p : phases_) {
    last = std::max(last, p.start + p.duration);
    spans.push_back({{"traceId", trace_id}, {"spanId", random_hex(8)},
                     {"parentSpanId", root_id}, {"name", p.name}, {"kind", 1},
                     {"startTimeUnixNano", unix_nanos(p.start)},
                     {"endTimeUnixNano", unix_nanos(p.start + p.duration)}});
  }
  spans.push_back({{"traceId", trace_id}, {"spanId", root_id}, {"name", "session"},
                   {"kind", 1}, {"startTimeUnixNano", unix_nanos(first)},
                   {"endTimeUnixNano", unix_nanos(last)},
                   {"attributes", {{{"key", "bbox.session.id"},
                                    {"value", {{"stringValue", session_id}}}}}}});
  nlohmann::json doc = {
      {"resourceSpans",
       {{{"resource",
          {{"attributes",
            {{{"key", "service.name"}, {"value", {{"stringValue", "bbox"}}}}}}}},
         {"scopeSpans", {{{"scope", {{"name", "bbox"}}}, {"spans", spans}}}}}}}};
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) return Error{"write trace '" + path.string() + "': cannot write"};
  return ok_status();
}

}  // namespace bbox::session
