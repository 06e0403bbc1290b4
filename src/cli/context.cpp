#include "bbox/common/message.h"
#include "cli/commands.h"

namespace bbox::cli {

std::optional<config::EffectiveConfig> Context::load(
    const std::optional<std::filesystem::path>& workspace_dir) {
  Result<config::EffectiveConfig> cfg = config::load_config({config_path(), workspace_dir});
  if (!cfg) {
    fail(1, cfg.error().message);
    return std::nullopt;
  }
  return std::move(*cfg);
}

void Context::fail(int code, const std::string& message) {
  ui::error("{}", message);
  exit_code = code;
}

}  // namespace bbox::cli
