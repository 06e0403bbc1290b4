#include "bbox/log/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bbox/common/message.h"

namespace bbox::log {
namespace {

std::mutex g_mutex;
std::shared_ptr<spdlog::sinks::sink> g_stderr;
std::shared_ptr<spdlog::sinks::sink> g_file;
Options g_options;

spdlog::level::level_enum stderr_level(const Options& o) {
  if (o.trace) return spdlog::level::trace;
  if (o.verbose) return spdlog::level::debug;
  return spdlog::level::warn;
}

void install() {
  std::vector<spdlog::sink_ptr> sinks = {g_stderr};
  if (g_file) sinks.push_back(g_file);
  auto logger = std::make_shared<spdlog::logger>("bbox", sinks.begin(), sinks.end());
  logger->set_level(g_options.trace ? spdlog::level::trace : spdlog::level::debug);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace

void init(const Options& options) {
  std::lock_guard lock(g_mutex);
  g_options = options;
  auto mode =
      ui::colour_enabled(STDERR_FILENO) ? spdlog::color_mode::always : spdlog::color_mode::never;
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(mode);
  sink->set_pattern("bbox: %^%l%$: %v");
  sink->set_level(stderr_level(options));
  g_stderr = sink;
  install();
}

Status attach_session_file(const std::filesystem::path& path) {
  // Create the file ourselves first: 0600, O_NOFOLLOW so a planted symlink
  // cannot redirect the log, then let spdlog append to it.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("open log file " + ui::quoted(path.string()), errno);
  ::close(fd);
  std::lock_guard lock(g_mutex);
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false);
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
    sink->set_level(g_options.trace ? spdlog::level::trace : spdlog::level::debug);
    g_file = sink;
  } catch (const spdlog::spdlog_ex& e) {
    return Error{"open log file " + ui::quoted(path.string()) + ": " + e.what()};
  }
  if (!g_stderr) {
    g_stderr = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::never);
    g_stderr->set_level(stderr_level(g_options));
  }
  install();
  return ok_status();
}

void detach_session_file() {
  std::lock_guard lock(g_mutex);
  if (!g_file) return;
  g_file->flush();
  g_file.reset();
  if (g_stderr) install();
}

}  // namespace bbox::log
