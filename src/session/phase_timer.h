// PhaseTimer records how long each phase of a session took, for the
// --timings table on stderr and the --trace OpenTelemetry spans.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::session {

class PhaseTimer {
 public:
  using Clock = std::chrono::system_clock;

  struct Phase {
    std::string name;
    Clock::time_point start;
    Clock::duration duration{};
  };

  // Starts a phase; the previous one, if still open, ends now.
  void begin(const std::string& name);
  // Ends the open phase, if any.
  void end();
  // Records a phase measured elsewhere (the VM's own phases), ending at `end`.
  void add(const std::string& name, Clock::time_point start, Clock::duration duration);

  const std::vector<Phase>& phases() const { return phases_; }

  // The table printed by --timings: one row per phase and a total.
  std::string table() const;
  // Writes the phases as OpenTelemetry JSON (resourceSpans) to `path`.
  Status write_trace(const std::filesystem::path& path, const std::string& session_id) const;

 private:
  std::vector<Phase> phases_;
  bool open_ = false;
};

}  // namespace bbox::session
