#include "bbox/config/parse.h"

#include <gtest/gtest.h>

namespace bbox::config {
namespace {

uint64_t size_ok(const char* s) {
  Result<uint64_t> r = parse_size_mib(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0;
}

TEST(SizeParser, BareNumberIsMiB) { EXPECT_EQ(size_ok("512"), 512u); }

TEST(SizeParser, AcceptsEverySuffixInAnyCase) {
  for (const char* s : {"3m", "3M", "3mi", "3Mi", "3mib", "3MiB", "3MIB"}) {
    EXPECT_EQ(size_ok(s), 3u) << s;
  }
  for (const char* s : {"2g", "2G", "2gi", "2Gi", "2gib", "2GiB"}) {
    EXPECT_EQ(size_ok(s), 2048u) << s;
  }
}

TEST(SizeParser, RefusesZeroNegativesJunkAndOverflow) {
  for (const char* s : {"0", "0g", "-1", "-4g", "", "g", "abc", "1.5g", "4gb", "4 kb", "4k", "4t",
                        "99999999999999999999999", "4294967296", "4194304g", "0x10"}) {
    EXPECT_FALSE(parse_size_mib(s).ok()) << s;
  }
}

TEST(SizeParser, LargestValueFits) { EXPECT_EQ(size_ok("4194303g"), 4194303ull * 1024); }

TEST(SizeParser, ErrorSaysWhatWasExpected) {
  EXPECT_EQ(parse_size_mib("4x").error().message,
            "'4x': unknown unit: expected a positive size such as 512 (MiB), 512m or 4g");
}

TEST(SizeFormat, UsesGiBWhenWhole) {
  EXPECT_EQ(format_size_mib(4096), "4g");
  EXPECT_EQ(format_size_mib(1536), "1536m");
}

TEST(CpusParser, AcceptsOneToMaxOnly) {
  EXPECT_EQ(*parse_cpus("1"), 1);
  EXPECT_EQ(*parse_cpus("128"), 128);
  for (const char* s : {"0", "129", "-1", "2.5", "two", ""}) EXPECT_FALSE(parse_cpus(s).ok()) << s;
}

TEST(EnvPattern, AcceptsExactNamesAndTrailingStarPrefixes) {
  for (const char* p : {"HOME", "ANTHROPIC_API_KEY", "CLAUDE_*", "_X", "a1*"}) {
    EXPECT_TRUE(validate_env_pattern(p).ok()) << p;
  }
}

TEST(EnvPattern, RefusesBareLeadingAndMiddleStars) {
  for (const char* p : {"*", "", "*_API_KEY", "A*B", "A**", "**", "1ABC", "A-B", "A B", "A=B"}) {
    EXPECT_FALSE(validate_env_pattern(p).ok()) << p;
  }
  EXPECT_EQ(validate_env_pattern("*").error().message,
            "'*' would forward every host variable: expected an exact variable name or a "
            "prefix with one trailing star, such as AWS_*");
}

TEST(EnvPattern, MatchesExactlyOrByPrefix) {
  EXPECT_TRUE(env_pattern_matches("CLAUDE_*", "CLAUDE_CODE_X"));
  EXPECT_TRUE(env_pattern_matches("CLAUDE_*", "CLAUDE_"));
  EXPECT_FALSE(env_pattern_matches("CLAUDE_*", "CLAUDE"));
  EXPECT_TRUE(env_pattern_matches("HOME", "HOME"));
  EXPECT_FALSE(env_pattern_matches("HOME", "HOMEDIR"));
  EXPECT_FALSE(env_pattern_matches("*", "HOME"));
}

TEST(EnvPattern, SubsetHoldsOnlyForNarrowerPatterns) {
  EXPECT_TRUE(env_pattern_subset("CLAUDE_X", "CLAUDE_*"));
  EXPECT_TRUE(env_pattern_subset("CLAUDE_X_*", "CLAUDE_*"));
  EXPECT_TRUE(env_pattern_subset("HOME", "HOME"));
  EXPECT_FALSE(env_pattern_subset("CLAUDE*", "CLAUDE_*"));
  EXPECT_FALSE(env_pattern_subset("GITHUB_TOKEN", "CLAUDE_*"));
  EXPECT_FALSE(env_pattern_subset("HOME_*", "HOME"));
}

TEST(EgressProfileParser, AcceptsTheThreeNames) {
  EXPECT_EQ(*parse_egress_profile("locked"), EgressProfile::kLocked);
  EXPECT_EQ(*parse_egress_profile("standard"), EgressProfile::kStandard);
  EXPECT_EQ(*parse_egress_profile("permissive"), EgressProfile::kPermissive);
  EXPECT_EQ(parse_egress_profile("open").error().message,
            "'open': expected permissive, standard or locked");
  EXPECT_FALSE(parse_egress_profile("Locked").ok());
}

TEST(PullPolicyParser, BackgroundOnlyFromConfig) {
  EXPECT_EQ(*parse_pull_policy("never"), PullPolicy::kNever);
  EXPECT_FALSE(parse_pull_policy("background").ok());
  EXPECT_EQ(*parse_pull_policy("background", true), PullPolicy::kIfNotPresent);
  EXPECT_FALSE(parse_pull_policy("sometimes", true).ok());
}

TEST(AllowHost, AcceptsNamesWildcardsAndPorts) {
  Result<AllowedHost> h = parse_allow_host("API.Example.com:8443");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->host, "api.example.com");
  EXPECT_EQ(h->port, 8443);
  h = parse_allow_host("*.example.com");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->host, "*.example.com");
  EXPECT_EQ(h->port, 0);
  EXPECT_TRUE(parse_allow_host("localhost").ok());
  EXPECT_TRUE(parse_allow_host("_dmarc.example.com").ok());
}

TEST(AllowHost, RefusesAddressesInEverySpelling) {
  for (const char* s : {"127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001",
                        "[::1]", "::1", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]:443", "fe80::1",
                        "10.0.2.2:80", "1.2.3.4.5", "169.254.169.254"}) {
    Result<AllowedHost> r = parse_allow_host(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_NE(r.error().message.find("IP addresses are not allowed"), std::string::npos)
        << s << ": " << r.error().message;
  }
}

TEST(AllowHost, RefusesBroadWildcardsTrailingDotsAndBadPorts) {
  for (const char* s :
       {"*", "*.com", "*.com:443", "a.*.com", "f*o.example.com", "**.example.com", "example.com.",
        "example.com:0", "example.com:65536", "example.com:", "example.com:http", "",
        ".example.com", "ex ample.com", "-a.com", "a..com", "ex\x1b[31m.com"}) {
    EXPECT_FALSE(parse_allow_host(s).ok()) << s;
  }
  EXPECT_EQ(parse_allow_host("*.com").error().message,
            "'*.com': a wildcard needs at least two labels after it, as in *.example.com");
  EXPECT_EQ(parse_allow_host("example.com.").error().message,
            "'example.com.': trailing dot: write the name without it");
}

TEST(AllowHost, EscapesControlCharactersInErrors) {
  Result<AllowedHost> r = parse_allow_host("a\x1b]0;x\x07.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace bbox::config
