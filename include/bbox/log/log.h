// Logging for bbox: spdlog's default logger, so any subsystem logs with
// spdlog::debug(...)/info/warn/error after init().
//
// Two sinks:
//   - stderr: warnings and errors; with --verbose also info and debug, with
//     --trace everything. Coloured only when stderr is a terminal and NO_COLOR
//     is unset (bbox::ui::colour_enabled).
//   - the session log file, once attach_session_file() is called: every level
//     from debug up, without colour, with timestamps.
// Never log secret values (forwarded env values, tokens): log names only.
// Anything a guest can trigger must be rate-limited by the caller.
#pragma once

#include <filesystem>

#include "bbox/common/result.h"

namespace bbox::log {

struct Options {
  bool verbose = false;  // --verbose: info and debug on stderr
  bool trace = false;    // --trace: trace level on stderr and in the file
};

// Installs the default logger. Safe to call again (for example after parsing
// flags); the session file stays attached.
void init(const Options& options);

// Adds the per-session log file (appending). The file is created 0600 and is
// never followed through a symlink.
Status attach_session_file(const std::filesystem::path& path);

// Flushes and removes the session file sink.
void detach_session_file();

}  // namespace bbox::log
