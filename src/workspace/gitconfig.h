// .git/config as it enters the VM: rebuilt from an allowlist of keys, so no
// credential, include, URL rewrite, proxy, filter or program-running key
// (core.sshCommand, core.pager, core.editor, core.fsmonitor, core.hooksPath,
// diff/merge drivers, textconv, ...) reaches the agent.
#pragma once

#include <string>
#include <string_view>

namespace bbox::workspace {

// Returns a config holding only the allowlisted keys of `text`, with any
// user name or password removed from remote URLs.
std::string sanitise_git_config(std::string_view text);

// Removes "user[:password]@" from http(s)/ftp(s) URLs; other forms unchanged.
std::string strip_url_credentials(std::string_view url);

}  // namespace bbox::workspace
