// The unprivileged `sandbox` user (uid/gid 1000, home /home/sandbox) that
// commands run as. Images may lack it, give uid 1000 another name, or ship a
// broken /etc/passwd; bbox-init rewrites the overlay's copies so that exactly
// one entry has the name or id, and it is sandbox's.
#pragma once

#include <string>
#include <string_view>

namespace bbox::guest {

// Returns /etc/passwd content with well-formed lines kept (7 fields), every
// line for uid 1000 or the name "sandbox" dropped, a root entry added when
// none exists, and the sandbox entry appended with `shell`.
std::string passwd_with_sandbox(std::string_view passwd, std::string_view shell);

// The same for /etc/group (4 fields; gid 1000 or name "sandbox" replaced).
std::string group_with_sandbox(std::string_view group);

// Rewrites /etc/passwd and /etc/group of the running root file system and
// creates the home directory owned by 1000:1000. Logs what fails.
void ensure_sandbox_user();

}  // namespace bbox::guest
