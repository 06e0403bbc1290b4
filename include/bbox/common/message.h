// The one voice bbox speaks to the user with. Every line for the user goes
// through here, shaped
//   bbox: error: read '.broodbox.yaml': permission denied
// lowercase, names quoted, the cause last, no trailing period. Colour is used
// only when stderr is a terminal and NO_COLOR is unset.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace bbox::ui {

enum class Level { kError, kWarning, kNote, kInfo };

// Writes one "bbox: <level>: <text>" line to stderr.
void say(Level level, std::string_view text);

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  say(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  say(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void note(fmt::format_string<Args...> f, Args&&... args) {
  say(Level::kNote, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  say(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}

// Writes an indented line that belongs to the message before it (a list
// under a summary). The caller makes `text` printable.
void say_detail(std::string_view text);
template <typename... Args>
void detail(fmt::format_string<Args...> f, Args&&... args) {
  say_detail(fmt::format(f, std::forward<Args>(args)...));
}

// True when colour may be written to the given fd (a TTY, NO_COLOR unset).
bool colour_enabled(int fd);

// Returns text safe to echo to a terminal: control characters and invalid
// UTF-8 bytes are replaced by \xNN escapes, so a hostile file name or config
// value cannot move the cursor or change the terminal's state; invisible and
// reordering characters (zero-width, bidi overrides) become \u{XXXX}.
// Idempotent (printable(printable(s)) == printable(s)), so callers may quote
// text that is already printable; the price is that a literal backslash
// followed by "x1b" reads like an escape.
std::string printable(std::string_view text);

// Quotes a name for messages: 'name', with printable() applied.
std::string quoted(std::string_view name);

// Test hook: capture messages instead of writing them to stderr.
void set_sink_for_tests(std::string* sink);

}  // namespace bbox::ui
