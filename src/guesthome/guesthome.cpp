// A session's guest home: the files before, the credentials after.
#include "bbox/guesthome/guesthome.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "bbox/common/message.h"
#include "guesthome/host_tree.h"

namespace bbox::guesthome {
namespace {

std::filesystem::path store_of(const HomePlan& plan) {
  return plan.credential_store.empty() ? credential_store_root() : plan.credential_store;
}

void seed(const HomePlan& plan) {
  if (!plan.seed_host_credentials || plan.host_home.empty()) return;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto seeded =
      seed_host_credentials(plan.host_home, store_of(plan), plan.agent,
                            std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  if (!seeded) {
    ui::warning("{}", seeded.error().message);
  } else if (*seeded) {
    ui::info("copied the host's login of {} into the saved login state", ui::quoted(plan.agent));
  }
}

}  // namespace

PreparedHome prepare_guest_home(const HomePlan& plan) {
  HomeFiles files;
  PreparedHome out;
  if (plan.save_credentials && !plan.credential_paths.empty()) {
    seed(plan);
    auto restored = restore_credentials(store_of(plan), plan.agent, plan.credential_paths, files);
    if (!restored) {
      ui::warning("{}: the agent starts without its saved login", restored.error().message);
    }
    out.fetch_after_exit = credential_fetch_roots(plan.credential_paths);
  }
  size_t restored_count = files.size();
  if (!plan.settings.empty() && !plan.host_home.empty()) {
    HomeFiles restored = files;
    import_settings(plan.host_home, plan.settings, files);
    for (const auto& [path, file] : files) {
      if (restored.count(path) == 0) out.imported[path] = file.data;
    }
  }
  if (plan.git_files) add_git_files(plan.git_identity, plan.git_token_helper, files);
  spdlog::debug(
      "guest home for {}: {} restored login entries, {} settings files from {}, git files {}, "
      "token helper {}, SSH agent {}",
      plan.agent, restored_count, out.imported.size(), plan.host_home.string(),
      plan.git_files ? "on" : "off", plan.git_token_helper ? "on" : "off",
      plan.ssh_agent_socket.empty() ? "off" : plan.ssh_agent_socket.string());
  out.files.reserve(files.size());
  for (auto& [path, file] : files) out.files.push_back(std::move(file));
  return out;
}

void keep_credentials(const HomePlan& plan, const PreparedHome& prepared,
                      const std::vector<vm::FetchedTree>& fetched) {
  if (!plan.save_credentials || plan.credential_paths.empty() || fetched.empty()) return;
  auto saved = save_credentials(store_of(plan), plan.agent, plan.credential_paths, fetched, {},
                                prepared.imported);
  if (!saved) {
    ui::warning("{}: the login of this session is not kept", saved.error().message);
    return;
  }
  if (saved->files > 0) {
    ui::info("saved the login state of {} ({} {}, {})", ui::quoted(plan.agent), saved->files,
             saved->files == 1 ? "file" : "files", detail::human_size(saved->bytes));
  }
}

}  // namespace bbox::guesthome
