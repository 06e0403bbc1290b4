// Git in the guest: the host's identity in ~/.gitconfig, a credential helper
// for https://github.com that hands out GITHUB_TOKEN/GH_TOKEN from the
// command's environment (the token itself is never written to a file), and
// known_hosts for the big forges.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "bbox/guesthome/settings.h"

namespace bbox::guesthome {

struct GitIdentity {
  std::string name, email;  // empty when the host has none
};

// Runs `git config --get user.name` and `user.email` on the host (read-only,
// in `cwd`, stdin from /dev/null). No git, or no value: empty fields. A value
// with control characters or longer than 512 bytes is dropped.
GitIdentity host_git_identity(const std::filesystem::path& cwd = "/");

// The guest path of the credential helper script.
inline constexpr const char* kGitCredentialHelper =
    "/home/sandbox/.config/bbox/git-credential-github";

// Adds ~/.gitconfig (identity, safe.directory /workspace and, with
// `token_helper`, the credential helper for https://github.com), the helper
// script, and ~/.ssh/known_hosts to `into`.
void add_git_files(const GitIdentity& identity, bool token_helper, HomeFiles& into);

// The published SSH host keys of github.com, gitlab.com and bitbucket.org, in
// known_hosts format.
const std::string& forge_known_hosts();

// $SSH_AUTH_SOCK when it is set and names a socket; nothing otherwise.
std::optional<std::filesystem::path> host_ssh_agent();

}  // namespace bbox::guesthome
