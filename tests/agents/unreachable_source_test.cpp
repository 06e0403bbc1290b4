// A package source out of reach fails the build with a message naming it,
// and leaves nothing tagged. The unreachable sources are closed ports on
// 127.0.0.1, so nothing leaves the machine.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "agents/test_util.h"
#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

// Port 9 (discard) on loopback: nothing listens there in the test machines.
constexpr const char* kClosed = "http://127.0.0.1:9/";

struct Scratch {
  TestDir dir;
  Context ctx() {
    return Context{*OciLayout::open(dir.path() / "oci"), dir.path() / "work",
                   dir.path() / "build.log", dir.path() / "apt"};
  }
};

TEST(UnreachableSource, NpmRegistryIsNamedAndNothingIsTagged) {
  Scratch s;
  ::setenv("npm_config_registry", kClosed, 1);
  auto ctx = s.ctx();
  auto built = build_agent(ctx, "claude-code");
  ::unsetenv("npm_config_registry");
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message.rfind(
                "build 'claude-code': look up '@anthropic-ai/claude-code@latest' from the npm "
                "registry (http://127.0.0.1:9/): FetchError: request to http://127.0.0.1:9/"
                "@anthropic-ai%2fclaude-code failed, reason: connect ECONNREFUSED 127.0.0.1:9",
                0),
            0u)
      << built.error().message;
  EXPECT_FALSE(ctx.layout.find("claude-code").has_value());
  EXPECT_FALSE(ctx.layout.find("base").has_value());
}

TEST(UnreachableSource, DebianMirrorIsNamedAndNothingIsTagged) {
  if (::system("command -v mmdebstrap >/dev/null") != 0) GTEST_SKIP() << "mmdebstrap missing";
  Scratch s;
  write_text(s.dir.path() / "apt" / "sources.list",
             std::string("deb ") + kClosed + "debian bookworm main\n");
  fs::create_directories(s.dir.path() / "work");
  auto ctx = s.ctx();
  auto built = ensure_base(ctx);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message.rfind(
                "build 'base': mmdebstrap from the Debian mirror http://127.0.0.1:9/debian: "
                "mmdebstrap exited with status 25 (",
                0),
            0u)
      << built.error().message;
  // The first error mmdebstrap logged is quoted: here apt could not fetch.
  EXPECT_NE(built.error().message.find("): E: "), std::string::npos) << built.error().message;
  EXPECT_FALSE(ctx.layout.find("base").has_value());
  // The temporary build directory is gone, and no blob was stored.
  EXPECT_TRUE(fs::is_empty(s.dir.path() / "work" / "tmp"));
  EXPECT_TRUE(fs::is_empty(s.dir.path() / "oci" / "blobs" / "sha256"));
}

}  // namespace
}  // namespace bbox::image::build
