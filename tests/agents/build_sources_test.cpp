#include <gtest/gtest.h>

#include <fstream>

#include "image/build_steps.h"
#include "test_util.h"

namespace bbox::image::build {
namespace {

TEST(HostDebianSources, ReadsDeb822AndOneLineFilesForTheSuiteFamily) {
  TestDir etc;
  fs::create_directories(etc.path() / "sources.list.d");
  write_text(etc.path() / "sources.list",
             "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main "
             "contrib\ndeb-src http://m.example/debian bookworm main\n"
             "deb http://m.example/debian bullseye main\n");
  write_text(etc.path() / "sources.list.d" / "debian.sources",
             "Types: deb deb-src\nURIs: http://m.example/debian\nSuites: bookworm "
             "bookworm-updates\nComponents: main\nSigned-By: /k.gpg\n\n"
             "Types: deb\nURIs: http://m.example/debian-security\nSuites: bookworm-security\n"
             "Components: main\n\nEnabled: no\nTypes: deb\nURIs: http://off.example/\n"
             "Suites: bookworm\nComponents: main\n");
  write_text(etc.path() / "sources.list.d" / "other.list.disabled",
             "deb http://nope.example/ bookworm main\n");

  auto lines = host_debian_sources(etc.path(), "bookworm");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "deb http://m.example/debian bookworm main contrib",
                        "deb http://m.example/debian bookworm main",
                        "deb http://m.example/debian bookworm-updates main",
                        "deb http://m.example/debian-security bookworm-security main"}));
}

TEST(HostDebianSources, NamesTheFilesWhenNoEntryFitsTheSuite) {
  TestDir etc;
  write_text(etc.path() / "sources.list", "deb http://m.example/debian bullseye main\n");
  auto lines = host_debian_sources(etc.path(), "bookworm");
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.error().message, "find a Debian mirror: no 'bookworm' entry in " +
                                       (etc.path() / "sources.list").string() + " or " +
                                       (etc.path() / "sources.list.d").string());
}

TEST(BaseRecipeKey, ChangesWithTheSources) {
  EXPECT_EQ(base_recipe_key({"deb http://a/ bookworm main"}),
            base_recipe_key({"deb http://a/ bookworm main"}));
  EXPECT_NE(base_recipe_key({"deb http://a/ bookworm main"}),
            base_recipe_key({"deb http://b/ bookworm main"}));
}

TEST(ShellQuote, QuotesSingleQuotes) {
  EXPECT_EQ(shell_quote("/tmp/it's here"), "'/tmp/it'\\''s here'");
}

}  // namespace
}  // namespace bbox::image::build
