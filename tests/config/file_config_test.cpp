#include "bbox/config/file_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "bbox/config/config.h"
#include "bbox_test/temp_dir.h"

namespace bbox::config {
namespace {

using test_support::TempDir;

std::string error_of(const std::string& text) {
  Result<FileConfig> r = parse_config_text(text, "cfg.yaml");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

TEST(GlobalConfig, ReadsBroodBoxKeys) {
  Result<FileConfig> r = parse_config_text(R"(
defaults: {cpus: 4, memory: 8g, tmp_size: 512, egress_profile: standard}
workspace: {mode: direct}
review: {enabled: true, exclude_patterns: ["*.log"]}
network:
  allow_hosts:
    - name: API.example.com
      ports: [443, 8443]
image: {pull: background}
mcp: {enabled: false, group: g, port: 9000, authz: {profile: observe}, session_ttl: 1h}
git: {forward_token: false, forward_ssh_agent: true}
settings_import: {enabled: true, categories: {rules: false}}
auth: {save_credentials: false, seed_host_credentials: false}
agents:
  claude-code: {memory: 2g}
)",
                                           "cfg.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r->cpus, 4);
  EXPECT_EQ(*r->memory_mib, 8192u);
  EXPECT_EQ(*r->tmp_size_mib, 512u);
  EXPECT_EQ(*r->egress_profile, EgressProfile::kStandard);
  EXPECT_EQ(*r->workspace_mode, WorkspaceMode::kDirect);
  EXPECT_EQ(r->exclude_patterns, std::vector<std::string>{"*.log"});
  ASSERT_EQ(r->allow_hosts.size(), 1u);
  EXPECT_EQ(r->allow_hosts[0].name, "api.example.com");
  EXPECT_EQ(r->allow_hosts[0].ports, (std::vector<uint16_t>{443, 8443}));
  EXPECT_EQ(*r->pull, PullPolicy::kIfNotPresent);
  EXPECT_EQ(*r->mcp_authz_profile, "observe");
  EXPECT_FALSE(*r->git_forward_token);
  EXPECT_FALSE(r->settings_import.categories.at("rules"));
  EXPECT_EQ(*r->agents.at("claude-code").memory_mib, 2048u);
}

TEST(GlobalConfig, UnknownKeyIsAnErrorWithLineAndColumn) {
  EXPECT_EQ(error_of("defaults:\n  cpus: 2\n  mem: 4g\n"),
            "cfg.yaml:3:8: defaults.mem: unknown key: expected one of cpus, memory, tmp_size, "
            "egress_profile");
  EXPECT_EQ(error_of("mcp:\n  athz: {profile: observe}\n"),
            "cfg.yaml:2:9: mcp.athz: unknown key: expected one of enabled, group, port, config, "
            "authz, session_ttl");
}

TEST(GlobalConfig, TypeErrorsNameTheKeyAndWhatWasExpected) {
  EXPECT_EQ(error_of("defaults:\n  cpus: many\n"),
            "cfg.yaml:2:9: defaults.cpus: expected a whole number from 0 to 128");
  EXPECT_EQ(error_of("review:\n  enabled: maybe\n"),
            "cfg.yaml:2:12: review.enabled: expected true or false");
  EXPECT_EQ(error_of("defaults:\n  memory: 4x\n"),
            "cfg.yaml:2:11: defaults.memory: '4x': unknown unit: expected a positive size such "
            "as 512 (MiB), 512m or 4g");
  EXPECT_EQ(error_of("defaults:\n  egress_profile: open\n"),
            "cfg.yaml:2:19: defaults.egress_profile: 'open': expected permissive, standard or "
            "locked");
  EXPECT_EQ(error_of("agents:\n  x:\n    env_forward: ['*']\n"),
            "cfg.yaml:3:19: agents.x.env_forward[0]: '*' would forward every host variable: "
            "expected an exact variable name or a prefix with one trailing star, such as AWS_*");
  EXPECT_EQ(error_of("network:\n  allow_hosts:\n    - name: 127.1\n"),
            "cfg.yaml:3:13: network.allow_hosts[0].name: '127.1': IP addresses are not allowed: "
            "the egress filter is DNS-based and takes hostnames");
}

TEST(GlobalConfig, DuplicateKeysAreRefused) {
  EXPECT_EQ(error_of("review:\n  enabled: true\n  enabled: false\n"),
            "cfg.yaml:3:3: review.enabled: duplicate key");
}

TEST(GlobalConfig, EmptyAndMalformedFilesAreErrors) {
  EXPECT_EQ(error_of(""), "cfg.yaml: file is empty: expected a YAML mapping of settings");
  EXPECT_EQ(error_of("  \n\n"), "cfg.yaml: file is empty: expected a YAML mapping of settings");
  EXPECT_EQ(error_of("- a\n- b\n"),
            "cfg.yaml:1:1: (top level): expected a YAML mapping of settings");
  EXPECT_EQ(error_of("defaults: [\n"),
            "cfg.yaml:2:1: malformed YAML: end of sequence flow not found");
}

TEST(GlobalConfig, CommentsOnlyIsAnEmptyConfig) {
  EXPECT_TRUE(parse_config_text("# nothing\n", "cfg.yaml").ok());
  Result<FileConfig> r = parse_config_text(default_config_text(), "cfg.yaml");
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(ConfigFile, MissingFileNamesTheFile) {
  TempDir d;
  Result<FileConfig> r = read_config_file(d.path() / "nope.yaml", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "read '" + (d.path() / "nope.yaml").string() + "': No such file or directory");
}

TEST(ConfigFile, OversizedFileIsRefusedBeforeParsing) {
  TempDir d;
  auto p = d.write("big.yaml", "# " + std::string(kMaxConfigBytes, 'x') + "\n");
  Result<FileConfig> r = read_config_file(p, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "read '" + p.string() +
                                   "': too large (1048579 bytes): expected "
                                   "at most 1 MiB of YAML");
}

TEST(ConfigFile, BinaryFileIsRefused) {
  TempDir d;
  auto p = d.write("bin.yaml", std::string("defaults:\0\x01\xff", 13));
  Result<FileConfig> r = read_config_file(p, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "read '" + p.string() +
                                   "': binary data: expected a UTF-8 YAML "
                                   "text file");
}

TEST(ConfigFile, WorkspaceSymlinkAndFifoAreRefused) {
  TempDir d;
  auto target = d.write("secret.yaml", "review: {enabled: true}\n");
  std::filesystem::create_symlink(target, d.path() / "link.yaml");
  Result<FileConfig> r = read_config_file(d.path() / "link.yaml", true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("it is a symlink"), std::string::npos) << r.error().message;
  ASSERT_EQ(::mkfifo((d.path() / "fifo.yaml").c_str(), 0600), 0);
  r = read_config_file(d.path() / "fifo.yaml", true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos);
  // The global file may be a symlink (dotfile managers use them).
  EXPECT_TRUE(read_config_file(d.path() / "link.yaml", false).ok());
}

TEST(ConfigFile, ControlCharactersInKeysAreEscaped) {
  std::string msg = error_of("\"a\\e[31m\": 1\n");
  EXPECT_EQ(msg.find('\x1b'), std::string::npos);
  EXPECT_NE(msg.find("a\\x1b[31m"), std::string::npos) << msg;
}

}  // namespace
}  // namespace bbox::config
