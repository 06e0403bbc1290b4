#include "bbox/common/message.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace bbox::ui {
namespace {

std::string* g_sink = nullptr;
std::mutex g_mutex;

const char* level_name(Level level) {
  switch (level) {
    case Level::kError: return "error";
    case Level::kWarning: return "warning";
    case Level::kNote: return "note";
    case Level::kInfo: return "info";
  }
  return "";
}

const char* level_colour(Level level) {
  switch (level) {
    case Level::kError: return "\033[1;31m";
    case Level::kWarning: return "\033[1;33m";
    case Level::kNote: return "\033[1;36m";
    case Level::kInfo: return "\033[1m";
  }
  return "";
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid.
size_t utf8_length(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

}  // namespace

bool colour_enabled(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  return ::isatty(fd) == 1;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    size_t n = utf8_length(text, i);
    bool control = c < 0x20 || c == 0x7F;
    bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    if (n == 0 || control || c1) {
      size_t bad = n == 0 ? 1 : n;
      for (size_t k = 0; k < bad; ++k) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i + k]));
      }
      i += bad;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string quoted(std::string_view name) { return "'" + printable(name) + "'"; }

void set_sink_for_tests(std::string* sink) {
  std::lock_guard lock(g_mutex);
  g_sink = sink;
}

void say(Level level, std::string_view text) {
  std::lock_guard lock(g_mutex);
  if (g_sink != nullptr) {
    *g_sink += fmt::format("bbox: {}: {}\n", level_name(level), text);
    return;
  }
  std::string line;
  if (colour_enabled(STDERR_FILENO)) {
    line = fmt::format("bbox: {}{}:\033[0m {}\n", level_colour(level), level_name(level), text);
  } else {
    line = fmt::format("bbox: {}: {}\n", level_name(level), text);
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void say_detail(std::string_view text) {
  std::lock_guard lock(g_mutex);
  std::string line = fmt::format("  {}\n", text);
  if (g_sink != nullptr) {
    *g_sink += line;
    return;
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace bbox::ui
