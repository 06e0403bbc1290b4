// Deeply nested settings files: a guest can save a 64 KiB settings.json whose
// brackets nest 32 000 levels, and a host file may be a 1 MiB one. Neither
// may cost bbox gigabytes (indented output grows with the square of the
// depth) or its stack (copying and printing recurse).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "guesthome/config_filter.h"

namespace bbox::guesthome {
namespace {

using nlohmann::json;

std::string nested_arrays(const std::string& key, size_t depth) {
  return "{\"" + key + "\": " + std::string(depth, '[') + std::string(depth, ']') + "}";
}

SettingsItem claude_settings() {
  SettingsItem item;
  item.format = "json";
  item.allow_keys = {"model", "hooks"};
  return item;
}

TEST(SettingsDepth, SavedCopyNestedThousandsDeepIsReplacedNotPrinted) {
  auto merged = detail::filter_and_merge(R"({"model": "m"})", nested_arrays("hooks", 32000),
                                         claude_settings());
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(json::parse(*merged), json::parse(R"({"model": "m"})"));
}

TEST(SettingsDepth, HostFileNestedThousandsDeepIsRefusedWithItsCause) {
  auto merged = detail::filter_and_merge(nested_arrays("hooks", 400000), "", claude_settings());
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message, "not valid JSON: nested deeper than 64 levels");
}

TEST(SettingsDepth, JsoncNestedDeeplyIsRefusedToo) {
  SettingsItem item = claude_settings();
  item.format = "jsonc";
  auto merged = detail::filter_and_merge("// c\n" + nested_arrays("hooks", 1000), "", item);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message, "not valid JSONC: nested deeper than 64 levels");
}

TEST(SettingsDepth, SixtyFourLevelsAreKept) {
  std::string text = nested_arrays("hooks", 63);  // the object is level 1
  auto merged = detail::filter_and_merge(text, "", claude_settings());
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(json::parse(*merged), json::parse(text));
}

SettingsItem codex_config() {
  SettingsItem item;
  item.format = "toml";
  item.allow_keys = {"model", "x"};
  return item;
}

TEST(SettingsDepth, TomlHostFileNestedThousandsDeepIsRefusedWithItsCause) {
  std::string text = "x = " + std::string(400000, '[') + std::string(400000, ']') + "\n";
  auto merged = detail::filter_and_merge(text, "", codex_config());
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message, "not valid TOML: nested deeper than 64 levels");
}

TEST(SettingsDepth, TomlSavedCopyNestedDeeplyIsReplaced) {
  std::string base = "x = " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto merged = detail::filter_and_merge("model = \"m\"\n", base, codex_config());
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(*merged, "model = \"m\"\n");
}

TEST(SettingsDepth, TomlBracketsInStringsAndCommentsDoNotCount) {
  std::string many(100, '[');
  std::string text = "# " + many + "\nmodel = \"a\\\"" + many + "\"\nx = 'b\\" + many + "'\n";
  auto merged = detail::filter_and_merge(text, "", codex_config());
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_NE(merged->find(many), std::string::npos) << *merged;
}

}  // namespace
}  // namespace bbox::guesthome
