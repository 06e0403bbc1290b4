// Exclusion matching: every case from cases/README.md, with git's answers.
#include <gtest/gtest.h>

#include <chrono>

#include "bbox/workspace/exclude.h"

namespace bbox::workspace {
namespace {

IgnoreRules rules(std::string_view text) {
  IgnoreRules r;
  r.add_buffer(text);
  return r;
}

TEST(Exclude, ParentExcludedCannotBeReentered) {
  auto r = rules("d/\n!d/sub/*\n");
  EXPECT_TRUE(r.excluded("d/sub/f.txt", false));
}

TEST(Exclude, NegatedDirectoryKeepsItsChildrenExcluded) {
  auto r = rules("node_modules/*\n!node_modules\n");
  EXPECT_TRUE(r.excluded("node_modules/a.js", false));
  EXPECT_FALSE(r.excluded("node_modules", true));
}

TEST(Exclude, DoubleStarDirectoryNegationDoesNotPruneEarly) {
  auto r = rules("data/**\n!data/**/\n!data/**/*.txt\n");
  EXPECT_TRUE(r.excluded("data/d1/f1", false));
  EXPECT_FALSE(r.excluded("data/d1/f1.txt", false));
  EXPECT_FALSE(r.excluded("data", true));
}

TEST(Exclude, StarThenNegatedAssets) {
  auto r = rules("*\n!assets/\n!assets/**\n");
  EXPECT_FALSE(r.excluded("assets/x/y.html", false));
  EXPECT_TRUE(r.excluded("other.txt", false));
}

TEST(Exclude, DirStarAllowsNegationButDirSlashDoesNot) {
  EXPECT_FALSE(rules("dir/*\n!keep\n").excluded("dir/keep", false));
  EXPECT_TRUE(rules("dir/\n!keep\n").excluded("dir/keep", false));
}

TEST(Exclude, LeadingDoubleStarMatchesAtAnyDepth) {
  auto r = rules("**/a/b\n");
  EXPECT_TRUE(r.excluded("a/b", false));
  EXPECT_TRUE(r.excluded("x/a/b", false));
  EXPECT_TRUE(r.excluded("a/x/a/b", false));
  EXPECT_FALSE(r.excluded("a/x/b", false));
}

TEST(Exclude, DoubleStarDotLogActsAsStar) {
  auto r = rules("**.log\n");
  EXPECT_TRUE(r.excluded("debug.log", false));
  EXPECT_TRUE(r.excluded("sub/debug.log", false));
  EXPECT_FALSE(r.excluded("debug.txt", false));
}

TEST(Exclude, MiddleDoubleStarMatchesZeroOrMoreDirectories) {
  auto r = rules("a/**/b\n");
  EXPECT_TRUE(r.excluded("a/b", false));
  EXPECT_TRUE(r.excluded("a/x/b", false));
  EXPECT_TRUE(r.excluded("a/x/y/b", false));
  EXPECT_FALSE(r.excluded("ab", false));
}

TEST(Exclude, TrailingSpacesAreDropped) {
  auto r = rules("node_modules/   \n");
  EXPECT_TRUE(r.excluded("node_modules", true));
  EXPECT_FALSE(r.excluded("node_modules", false));
}

TEST(Exclude, EscapedTrailingSpaceIsKept) {
  auto r = rules("foo\\   \n");
  EXPECT_TRUE(r.excluded("foo ", false));
  EXPECT_FALSE(r.excluded("foo", false));
}

TEST(Exclude, EscapedHashAndBang) {
  auto r = rules("\\#notes\n\\!important\n#comment\n");
  EXPECT_TRUE(r.excluded("#notes", false));
  EXPECT_TRUE(r.excluded("!important", false));
  EXPECT_FALSE(r.excluded("#comment", false));
  EXPECT_EQ(r.size(), 2u);
}

TEST(Exclude, TrailingBackslashMatchesNothingAndKeepsLoading) {
  auto r = rules("trail\\\nafter\n");
  EXPECT_FALSE(r.excluded("trail", false));
  EXPECT_FALSE(r.excluded("trail\\", false));
  EXPECT_TRUE(r.excluded("after", false));
}

TEST(Exclude, CarriageReturnIsNotPartOfThePattern) {
  auto r = rules("secret.txt\r\nother\r\n");
  EXPECT_TRUE(r.excluded("secret.txt", false));
  EXPECT_TRUE(r.excluded("other", false));
  EXPECT_FALSE(r.excluded("secret.txt\r", false));
}

TEST(Exclude, SecretsCannotBeNegatedButPerformanceExcludesCan) {
  ExclusionPolicy p;
  p.add_user_buffer("!.env\n!node_modules/\n");
  EXPECT_EQ(p.classify(".env", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("node_modules", true), ExcludeReason::kNone);
  EXPECT_EQ(p.classify("node_modules/x.js", false), ExcludeReason::kNone);
}

TEST(Exclude, SecretsMatchAtAnyDepthAndUnderSecretDirectories) {
  ExclusionPolicy p;
  EXPECT_EQ(p.classify("a/b/.env.local", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("deploy/server.pem", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("home/.ssh/known_hosts", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("x/.config/gcloud/creds.db", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify(".docker/config.json", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("infra/prod.tfstate.backup", false), ExcludeReason::kSecret);
  EXPECT_EQ(p.classify("src/main.c", false), ExcludeReason::kNone);
  EXPECT_EQ(p.classify("build/out.o", false), ExcludeReason::kPattern);
}

TEST(Exclude, EveryListedSecretIsExcluded) {
  ExclusionPolicy p;
  for (const char* path : {".env",
                           ".env.production",
                           "a.pem",
                           "a.key",
                           "a.p12",
                           "a.pfx",
                           "a.jks",
                           "a.keystore",
                           "a.truststore",
                           "id_rsa",
                           "id_rsa.pub",
                           "id_ed25519",
                           "id_ecdsa",
                           ".ssh/config",
                           ".aws/credentials",
                           ".gcp/k",
                           ".gcloud/k",
                           ".azure/k",
                           ".config/gcloud/k",
                           "credentials.json",
                           ".git-credentials",
                           ".netrc",
                           ".npmrc",
                           ".yarnrc.yml",
                           ".pypirc",
                           ".docker/config.json",
                           ".kube/config",
                           ".gnupg/pubring.kbx",
                           ".pgpass",
                           ".vault-token",
                           "t.tfstate",
                           "t.tfvars",
                           ".terraform/x",
                           ".config/gh/hosts.yml",
                           "age-key.txt",
                           "k.age",
                           ".broodbox.yaml",
                           ".config/broodbox/config.yaml"}) {
    EXPECT_EQ(p.classify(path, false), ExcludeReason::kSecret) << path;
  }
}

TEST(Exclude, HostileDoubleStarPatternStaysFast) {
  std::string pattern;
  while (pattern.size() < 200) pattern += "**/a/";
  pattern += "b";
  std::string path;
  for (int i = 0; i < 200; ++i) path += "a/";
  path += "c";
  IgnoreRules r;
  r.add_line(pattern);
  auto start = std::chrono::steady_clock::now();
  Verdict v = r.match_one(path, false);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(v, Verdict::kNoMatch);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 10);
  path.back() = 'b';
  EXPECT_TRUE(r.excluded(path, false));
}

TEST(Glob, ClassesRangesAndNegation) {
  EXPECT_TRUE(Glob("[a-c]x").matches("bx"));
  EXPECT_FALSE(Glob("[!a-c]x").matches("bx"));
  EXPECT_TRUE(Glob("[^a-c]x").matches("dx"));
  EXPECT_TRUE(Glob("[[:digit:]]").matches("7"));
  EXPECT_FALSE(Glob("[[:bogus:]]").matches("b"));
  EXPECT_TRUE(Glob("[]]").matches("]"));
  EXPECT_FALSE(Glob("[a").matches("a"));
  EXPECT_FALSE(Glob("a?b").matches("a/b"));
  EXPECT_FALSE(Glob("a*b").matches("a/b"));
  EXPECT_TRUE(Glob("a**b").matches("axxb"));
}

}  // namespace
}  // namespace bbox::workspace
