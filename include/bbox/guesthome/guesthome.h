// The guest home of one session: what bbox writes into /home/sandbox before
// the command starts (restored credentials, imported settings, git files) and
// what it keeps afterwards (the agent's login state). The CLI decides what is
// on (built-in agents: everything; run-image and shell: nothing unless asked)
// and fills a HomePlan; the session turns it into VmSpec fields and, after
// the VM stopped, saves the credentials it fetched.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/guesthome/credentials.h"
#include "bbox/guesthome/git.h"
#include "bbox/guesthome/settings.h"
#include "bbox/vm/vm.h"

namespace bbox::guesthome {

struct HomePlan {
  std::string agent;  // the credential store's key

  // Settings import: the items to copy from host_home (empty: none).
  std::filesystem::path host_home;
  std::vector<SettingsItem> settings;

  // Credential persistence (restore before, save after).
  bool save_credentials = false;
  std::vector<std::string> credential_paths;  // relative to the guest home, e.g. ".claude/"
  std::filesystem::path credential_store;     // empty: credential_store_root()
  bool seed_host_credentials = false;         // auth.seed_host_credentials (needs host_home)

  // Git: ~/.gitconfig with this identity, known_hosts, and the helper for
  // GITHUB_TOKEN/GH_TOKEN (the token travels in the command's environment).
  bool git_files = false;
  GitIdentity git_identity;
  bool git_token_helper = false;

  std::filesystem::path ssh_agent_socket;  // empty: no SSH agent in the guest
};

struct PreparedHome {
  std::vector<vm::GuestFile> files;           // VmSpec::files_before_exec
  std::vector<std::string> fetch_after_exit;  // VmSpec::fetch_after_exit
  // Files settings import wrote where no saved copy was restored, by guest
  // path: if they come back unchanged they are not saved, so the next session
  // takes them from the host again (a rule deleted on the host stays gone).
  std::map<std::string, std::string> imported;
};

// Builds the files for the guest home: restored credentials first, then
// settings (merged over them), then git files. Never fails: what cannot be
// read is reported through bbox::ui and left out.
PreparedHome prepare_guest_home(const HomePlan& plan);

// After the session: saves the fetched credential trees when the plan says
// so, leaving out `prepared.imported` files that came back unchanged.
// Problems are warnings; they never change the session's outcome.
void keep_credentials(const HomePlan& plan, const PreparedHome& prepared,
                      const std::vector<vm::FetchedTree>& fetched);

}  // namespace bbox::guesthome
