// Where bbox keeps things on the host, following the XDG base directories and
// the folder names Brood Box uses, so both tools share them.
#pragma once

#include <filesystem>

namespace bbox::paths {

// $XDG_CONFIG_HOME/broodbox (default ~/.config/broodbox).
std::filesystem::path config_dir();
// $XDG_CACHE_HOME/broodbox (default ~/.cache/broodbox): sessions, kernels.
std::filesystem::path cache_dir();
// $XDG_DATA_HOME/broodbox (default ~/.local/share/broodbox): images, credentials.
std::filesystem::path data_dir();
// cache_dir()/sessions: one folder per session.
std::filesystem::path sessions_dir();
// The user's home directory ($HOME, else the password database).
std::filesystem::path home_dir();

}  // namespace bbox::paths
