// bbox run-image IMAGE [flags] -- CMD [args]: an ephemeral one-shot of any
// image, with Brood Box's safer defaults: no host variable forwarded unless
// --env asks, nothing persisted.
#include "bbox/common/exit_codes.h"
#include "cli/commands.h"
#include "cli/run_flags.h"

namespace bbox::cli {

void add_run_image_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("run-image",
                                 "Run any image as an ephemeral sandbox: "
                                 "run-image IMAGE [flags] -- CMD [args]");
  auto flags = std::make_shared<RunFlags>();
  auto image = std::make_shared<std::string>();
  cmd->add_option("image", *image, "Image reference")->required();
  add_run_flags(cmd, *flags, RunKind::kRunImage);
  cmd->callback([&ctx, cmd, flags, image] {
    run_command(
        *flags, *cmd, ctx, [&](const config::EffectiveConfig& cfg) -> std::optional<RunTarget> {
          RunTarget t = plain_target(RunKind::kRunImage, "run-image", cfg);
          t.agent.image.set(*image, config::Source::kFlag);
          return t;
        });
  });
}

}  // namespace bbox::cli
