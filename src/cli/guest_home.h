// What a session writes into the guest home and keeps afterwards, from
// config and flags: settings import, credential persistence, git, SSH agent.
#pragma once

#include "bbox/config/config.h"
#include "bbox/session/session.h"
#include "cli/run_flags.h"

namespace bbox::cli {

// Fills req.home (and adds GITHUB_TOKEN/GH_TOKEN to req.env when the token
// is forwarded, or drops them when --no-git-token says so). Built-in and
// custom agents get everything the config leaves on; run-image and shell
// get git files only, plus the token and SSH agent with --git-token and
// --git-ssh-agent, as Brood Box does.
void apply_guest_home(const config::EffectiveConfig& cfg, const RunTarget& t, const RunFlags& f,
                      session::SessionRequest& req);

}  // namespace bbox::cli
