#include "bbox/common/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace bbox::paths {
namespace {

namespace fs = std::filesystem;

// An XDG variable counts only when it holds an absolute path (the spec says
// relative values are to be ignored).
fs::path xdg_or(const char* var, const fs::path& fallback) {
  const char* v = std::getenv(var);
  if (v != nullptr && v[0] == '/') return fs::path(v);
  return fallback;
}

}  // namespace

fs::path home_dir() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return fs::path(home);
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return fs::path(pw->pw_dir);
  }
  return fs::path("/");
}

fs::path config_dir() { return xdg_or("XDG_CONFIG_HOME", home_dir() / ".config") / "broodbox"; }
fs::path cache_dir() { return xdg_or("XDG_CACHE_HOME", home_dir() / ".cache") / "broodbox"; }
fs::path data_dir() { return xdg_or("XDG_DATA_HOME", home_dir() / ".local/share") / "broodbox"; }
fs::path sessions_dir() { return cache_dir() / "sessions"; }

}  // namespace bbox::paths
