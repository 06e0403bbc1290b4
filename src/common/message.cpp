#include "bbox/common/message.h"

#include <unistd.h>

#include <cstdint>
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

// The code point of one valid UTF-8 sequence.
uint32_t decode_utf8(std::string_view seq) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(seq[k])); };
  switch (seq.size()) {
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    case 4: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
                   (b(3) & 0x3F);
    default: return b(0);
  }
}

// Characters that show nothing or reorder the text around them: a name
// holding them can look like another name (bidi overrides, zero-width).
bool invisible_or_reordering(uint32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0x061C ||
         cp == 0xFEFF || cp == 0x00AD;
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
    if (n > 1 && invisible_or_reordering(decode_utf8(text.substr(i, n)))) {
      out += fmt::format("\\u{{{:04x}}}", decode_utf8(text.substr(i, n)));
      i += n;
      continue;
    }
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
