// bbox agents add|init|import|export|doctor through the real binary, each run
// with its own HOME and XDG_CONFIG_HOME.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/run_bbox.h"

namespace bbox::cli {
namespace {

using testing::Bbox;
using testing::Outcome;
using testing::slurp;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char* kUserConfig = R"(# my settings
defaults:
  cpus: 3  # more than the default

# my agents
agents:
  claude-code:
    memory: 8g   # big projects

# the end
mcp:
  enabled: false
)";

std::vector<std::string> add_aider(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"agents",
                                "add",
                                "aider",
                                "--image",
                                "ghcr.io/acme/aider:1.0",
                                "--command",
                                "aider",
                                "--command=--yes",
                                "--env",
                                "OPENAI_*",
                                "--allow-host",
                                "api.openai.com:443"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(AgentsAdd, SplicesTheAgentInKeepingEveryOtherKeyAndComment) {
  Bbox b;
  b.set_global(kUserConfig);
  Outcome r = b.run(add_aider());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string want = kUserConfig;
  want.insert(want.find("\n# the end"), R"(  aider:
    image: ghcr.io/acme/aider:1.0
    command: [aider, --yes]
    env_forward: [OPENAI_*]
    egress_hosts:
      standard:
        - name: api.openai.com
          ports: [443]
)");
  EXPECT_EQ(slurp(b.global_config()), want);
  EXPECT_TRUE(has(r.err, "declared agent 'aider' in '" + b.global_config().string() + "'"))
      << r.err;

  Outcome list = b.run({"list"});
  EXPECT_TRUE(has(list.out, "aider           custom    standard    ghcr.io/acme/aider:1.0"))
      << list.out;
  EXPECT_EQ(b.run({"agents", "doctor", "aider"}).out, "ok       aider\n");
}

TEST(AgentsAdd, ReplacesAnEntryInPlaceKeepingTheCommentsAroundIt) {
  Bbox b;
  b.set_global(R"(agents:
  # the first
  aider:
    image: old:1
    # an old note inside aider
  # about tool
  tool:
    image: t:1
    command: [t]
    egress_profile: permissive
# trailing
)");
  ASSERT_EQ(b.run(add_aider({"--force"})).exit_code, 0);
  EXPECT_EQ(slurp(b.global_config()), R"(agents:
  # the first
  aider:
    image: ghcr.io/acme/aider:1.0
    command: [aider, --yes]
    env_forward: [OPENAI_*]
    egress_hosts:
      standard:
        - name: api.openai.com
          ports: [443]
  # about tool
  tool:
    image: t:1
    command: [t]
    egress_profile: permissive
# trailing
)");
}

TEST(AgentsAdd, CreatesTheConfigAndItsFolderWhenThereIsNone) {
  Bbox b;
  Outcome r = b.run({"agents", "add", "tool", "--image", "img:1", "--command", "tool",
                     "--egress-profile", "permissive", "--cpus", "4", "--memory", "6g"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(b.global_config()), R"(agents:
  tool:
    image: img:1
    command: [tool]
    cpus: 4
    memory: 6g
    egress_profile: permissive
)");
  struct stat st {};
  ASSERT_EQ(::stat(b.global_config().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AgentsAdd, RefusesInvalidNamesAndWritesNothing) {
  Bbox b;
  for (const char* name : {"bad name", "_x", "a/b", "dots.not.allowed"}) {
    Outcome r = b.run({"agents", "add", name, "--image", "i", "--command", "c", "--egress-profile",
                       "permissive"});
    EXPECT_EQ(r.exit_code, 2) << name;
    EXPECT_TRUE(has(r.err, "invalid name: expected a letter or digit")) << r.err;
  }
  Outcome r = b.run({"agents", "add", std::string(65, 'a'), "--image", "i", "--command", "c"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "name longer than 64 characters")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(b.global_config()));
}

TEST(AgentsAdd, RefusesACommandNameABuiltinAndAnExistingAgentWithoutForce) {
  Bbox b;
  Outcome cmd = b.run({"agents", "add", "list", "--image", "i", "--command", "c",
                       "--egress-profile", "permissive"});
  EXPECT_EQ(cmd.exit_code, 2);
  EXPECT_EQ(cmd.err, "bbox: error: refuse to declare 'list': 'bbox list' is a bbox command\n");

  Outcome builtin = b.run({"agents", "add", "codex", "--image", "i", "--command", "c",
                           "--egress-profile", "permissive"});
  EXPECT_EQ(builtin.exit_code, 2);
  EXPECT_TRUE(has(builtin.err, "refuse to declare 'codex': it is a built-in agent")) << builtin.err;
  EXPECT_FALSE(std::filesystem::exists(b.global_config()));

  ASSERT_EQ(b.run(add_aider()).exit_code, 0);
  std::string before = slurp(b.global_config());
  Outcome again = b.run(add_aider({"--description", "second"}));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(has(again.err, "refuse to replace agent 'aider': it is already declared in"))
      << again.err;
  EXPECT_EQ(slurp(b.global_config()), before);

  Outcome forced = b.run(add_aider({"--description", "second", "--force"}));
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(has(forced.err, "replaced agent 'aider'")) << forced.err;
  std::string after = slurp(b.global_config());
  EXPECT_EQ(after.rfind("agents:\n  aider:\n    description: second\n    image:", 0), 0u) << after;
  EXPECT_EQ(after.find("  aider:\n", after.find("  aider:\n") + 1), std::string::npos) << after;
}

TEST(AgentsAdd, ADeclarationThatBreaksARuleNamesItAndWritesNothing) {
  Bbox b;
  b.set_global(kUserConfig);
  Outcome r = b.run({"agents", "add", "tool", "--image", "img:1", "--command", "tool"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "bbox: error: agent 'tool': egress profile standard requires egress_hosts.standard "
            "(or set egress_profile: permissive); nothing was written\n");
  Outcome env = b.run({"agents", "add", "tool", "--image", "img:1", "--command", "tool",
                       "--egress-profile", "permissive", "--env-required", "1BAD"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_TRUE(has(env.err, "env_required[0]: '1BAD' is not a valid variable name")) << env.err;
  Outcome host = b.run({"agents", "add", "tool", "--image", "img:1", "--command", "tool",
                        "--allow-host", "127.0.0.1"});
  EXPECT_EQ(host.exit_code, 2);
  EXPECT_TRUE(has(host.err, "--allow-host '127.0.0.1': ")) << host.err;
  EXPECT_EQ(slurp(b.global_config()), kUserConfig);
}

TEST(AgentsExportImport, RoundTripsAnAgentToAnotherMachine) {
  Bbox a, b;
  a.set_global(kUserConfig);
  ASSERT_EQ(a.run(add_aider({"--description", "Aider: pair programming", "--env-required",
                             "OPENAI_API_KEY", "--mcp", "--mcp-authz-profile", "observe"}))
                .exit_code,
            0);
  Outcome exported = a.run({"agents", "export", "aider"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, R"(name: aider
description: "Aider: pair programming"
image: ghcr.io/acme/aider:1.0
command: [aider, --yes]
env_forward: [OPENAI_*]
env_required: [OPENAI_API_KEY]
egress_hosts:
  standard:
    - name: api.openai.com
      ports: [443]
mcp:
  enabled: true
  mode: env
  authz:
    profile: observe
)");

  std::filesystem::path file = b.home().write("aider.yaml", exported.out);
  b.set_global(kUserConfig);
  Outcome imported = b.run({"agents", "import", file.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  Outcome again = b.run({"agents", "export", "aider"});
  EXPECT_EQ(again.out, exported.out);
  EXPECT_EQ(a.run({"agents", "inspect", "aider", "--json"}).out,
            b.run({"agents", "inspect", "aider", "--json"}).out);
  EXPECT_EQ(b.run({"config", "show"}).exit_code, 0);
}

TEST(AgentsExport, LeavesOutDefaultEnvValuesAndRefusesUndeclaredAgents) {
  Bbox b;
  b.set_global(R"(agents:
  tool:
    image: img:1
    command: [tool]
    default_env: {TOKEN: secret-value}
    egress_profile: permissive
)");
  Outcome r = b.run({"agents", "export", "tool"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "name: tool\nimage: img:1\ncommand: [tool]\negress_profile: permissive\n");
  EXPECT_EQ(r.err, "bbox: note: left out default_env of 'tool': its values stay on this host\n");

  Outcome other = b.run({"agents", "export", "other"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.err, "bbox: error: export: agent 'other' is not declared in " +
                           b.global_config().string() + "\n");
  Outcome builtin = b.run({"agents", "export", "claude-code"});
  EXPECT_EQ(builtin.exit_code, 2);
  EXPECT_EQ(builtin.err,
            "bbox: error: export 'claude-code': a built-in agent cannot be exported, only agents "
            "declared in the global config\n");
}

TEST(AgentsImport, AFileThatIsNotYamlIsRefusedNamingTheFile) {
  Bbox b;
  b.set_global(kUserConfig);
  std::filesystem::path file = b.home().write("agent.yaml", "name: [unclosed\nimage: x\n");
  Outcome r = b.run({"agents", "import", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "bbox: error: import: " + file.string() + ":")) << r.err;
  EXPECT_TRUE(has(r.err, ": not valid YAML: ")) << r.err;

  std::filesystem::path text = b.home().write("notes.txt", "just some words\n");
  Outcome t = b.run({"agents", "import", text.string()});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_EQ(t.err, "bbox: error: import: " + text.string() +
                       ":1:1: (top level): expected a YAML mapping: name plus the keys of "
                       "agents.<name>\n");

  Outcome missing = b.run({"agents", "import", (b.home().path() / "nope.yaml").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(has(missing.err, "no such file")) << missing.err;
  EXPECT_EQ(slurp(b.global_config()), kUserConfig);
}

TEST(AgentsImport, ADeclarationThatFailsValidationNamesTheRuleAndTheFile) {
  Bbox b;
  b.set_global(kUserConfig);
  std::filesystem::path no_cmd =
      b.home().write("a.yaml", "name: tool\nimage: img:1\negress_profile: permissive\n");
  Outcome r = b.run({"agents", "import", no_cmd.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "bbox: error: agent 'tool': command is required; nothing was written\n");

  std::filesystem::path unknown = b.home().write(
      "b.yaml", "name: tool\nimage: img:1\ncommand: [t]\negress_profil: permissive\n");
  Outcome u = b.run({"agents", "import", unknown.string()});
  EXPECT_EQ(u.exit_code, 1);
  EXPECT_TRUE(has(u.err, unknown.string() + ":4:16: egress_profil: unknown key: expected one of"))
      << u.err;

  std::filesystem::path unnamed = b.home().write("c.yaml", "image: img:1\ncommand: [t]\n");
  Outcome n = b.run({"agents", "import", unnamed.string()});
  EXPECT_EQ(n.exit_code, 1);
  EXPECT_TRUE(has(n.err, unnamed.string() + ": name: required")) << n.err;
  EXPECT_EQ(slurp(b.global_config()), kUserConfig);
}

// Makes `dir` read-only for the bbox this process starts: a read-only bind
// mount in a private mount namespace when root (root ignores permissions),
// else the permission bits.
bool make_read_only(const std::filesystem::path& dir, std::string* why) {
  if (::geteuid() != 0) return ::chmod(dir.c_str(), 0555) == 0;
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
    *why = "cannot make a private mount namespace here";
    return false;
  }
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    *why = "cannot bind-mount the config folder read-only here";
    return false;
  }
  return true;
}

TEST(AgentsAdd, AReadOnlyConfigFolderFailsClearlyAndLeavesTheConfigIntact) {
  Bbox b;
  b.set_global(kUserConfig);
  std::filesystem::path dir = b.global_config().parent_path();
  std::string why;
  if (!make_read_only(dir, &why)) GTEST_SKIP() << why;
  Outcome r = b.run(add_aider());
  ::umount2(dir.c_str(), MNT_DETACH);
  ::chmod(dir.c_str(), 0755);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "bbox: error: write '" + b.global_config().string() +
                             "': create a temporary file in '" + dir.string() + "': "))
      << r.err;
  EXPECT_TRUE(has(r.err, "; the config was not changed\n")) << r.err;
  EXPECT_EQ(slurp(b.global_config()), kUserConfig);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

TEST(AgentsAdd, AFlowStyleAgentsMappingIsRewrittenAndBboxSaysCommentsWereDropped) {
  Bbox b;
  b.set_global("# mine\nagents: {tool: {image: i, command: [t], egress_profile: permissive}}\n");
  Outcome r = b.run(add_aider());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(
      r.err, "bbox: warning: rewrote '" + b.global_config().string() + "' without its comments"))
      << r.err;
  Outcome list = b.run({"list"});
  EXPECT_TRUE(has(list.out, "\naider ")) << list.out;
  EXPECT_TRUE(has(list.out, "\ntool ")) << list.out;

  Bbox flow_root;
  flow_root.set_global("{defaults: {cpus: 3}}\n");
  Outcome f = flow_root.run(add_aider());
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_FALSE(has(f.err, "warning")) << f.err;
  EXPECT_EQ(slurp(flow_root.global_config()).rfind("defaults: {cpus: 3}\nagents:\n  aider:\n", 0),
            0u)
      << slurp(flow_root.global_config());
}

TEST(AgentsAdd, WritesThroughASymlinkedConfigKeepingTheLink) {
  Bbox b;
  std::filesystem::path real = b.home().write("dotfiles/broodbox.yaml", kUserConfig);
  std::filesystem::create_directories(b.global_config().parent_path());
  std::filesystem::create_symlink(real, b.global_config());
  ASSERT_EQ(b.run(add_aider()).exit_code, 0);
  EXPECT_TRUE(std::filesystem::is_symlink(b.global_config()));
  EXPECT_TRUE(has(slurp(real), "  aider:\n    image: ghcr.io/acme/aider:1.0\n"));
}

TEST(AgentsInit, PrintsATemplateThatImportsAsItIs) {
  Bbox b;
  Outcome printed = b.run({"agents", "init", "mine"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_TRUE(has(printed.out, "\nname: mine\n")) << printed.out;

  std::filesystem::path file = b.home().path() / "mine.yaml";
  ASSERT_EQ(b.run({"agents", "init", "mine", "-o", file.string()}).exit_code, 0);
  EXPECT_EQ(slurp(file), printed.out);
  Outcome again = b.run({"agents", "init", "mine", "-o", file.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(has(again.err, "refuse to overwrite")) << again.err;

  Outcome imported = b.run({"agents", "import", file.string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(b.run({"agents", "doctor", "mine"}).out, "ok       mine\n");
  EXPECT_EQ(b.run({"agents", "init", "no good"}).exit_code, 2);
}

TEST(AgentsDoctor, SaysWhatIsWrongWithEachAgent) {
  Bbox b;
  b.env()["NEEDED_HERE"] = "1";
  b.set_global(R"(agents:
  good:
    image: img:1
    command: [g]
    env_required: [NEEDED_HERE]
    egress_profile: permissive
  nocmd:
    image: img:1
    egress_profile: permissive
  closed:
    image: img:1
    command: [c]
  needy:
    image: img:1
    command: [n]
    env_required: [NOT_SET_ANYWHERE]
    egress_profile: permissive
)");
  Outcome r = b.run({"agents", "doctor"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.out,
                  "invalid  closed: agent 'closed': egress profile standard requires "
                  "egress_hosts.standard (or set egress_profile: permissive)\n"))
      << r.out;
  EXPECT_TRUE(has(r.out, "invalid  nocmd: agent 'nocmd': command is required\n")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       good\n")) << r.out;
  EXPECT_TRUE(has(r.out, "missing  needy: requires NOT_SET_ANYWHERE on the host\n")) << r.out;
  EXPECT_TRUE(has(r.out, "ok       claude-code\n")) << r.out;

  EXPECT_EQ(b.run({"agents", "doctor", "good"}).exit_code, 0);
  Outcome unknown = b.run({"agents", "doctor", "nobody"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(has(unknown.err, "unknown agent 'nobody': known agents are claude-code, "))
      << unknown.err;
}

TEST(AgentsAdd, AppendsToTheCommentedConfigThatConfigInitWrites) {
  Bbox b;
  ASSERT_EQ(b.run({"config", "init"}).exit_code, 0);
  std::string before = slurp(b.global_config());
  ASSERT_EQ(b.run(add_aider()).exit_code, 0);
  std::string after = slurp(b.global_config());
  ASSERT_EQ(after.rfind(before, 0), 0u) << after;
  EXPECT_EQ(after.substr(before.size()), R"(agents:
  aider:
    image: ghcr.io/acme/aider:1.0
    command: [aider, --yes]
    env_forward: [OPENAI_*]
    egress_hosts:
      standard:
        - name: api.openai.com
          ports: [443]
)");
}

TEST(AgentsAdd, FillsAnEmptyAgentsKeyAndKeepsCrLfLineEnds) {
  Bbox b;
  b.set_global("agents:\n\ndefaults:\n  cpus: 2\n");
  std::vector<std::string> tool{"agents",    "add",       "tool", "--image",
                                "i:1",       "--command", "t",    "--egress-profile",
                                "permissive"};
  ASSERT_EQ(b.run(tool).exit_code, 0);
  EXPECT_EQ(slurp(b.global_config()),
            "agents:\n  tool:\n    image: i:1\n    command: [t]\n    egress_profile: "
            "permissive\n\ndefaults:\n  cpus: 2\n");

  Bbox tilde;
  tilde.set_global("# mine\nagents: ~\n");
  Outcome t = tilde.run(tool);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(slurp(tilde.global_config()),
            "agents:\n  tool:\n    image: i:1\n    command: [t]\n    egress_profile: "
            "permissive\n");
  EXPECT_TRUE(has(t.err, "without its comments")) << t.err;

  Bbox crlf;
  crlf.set_global("defaults:\r\n  cpus: 2\r\n");
  ASSERT_EQ(crlf.run(tool).exit_code, 0);
  EXPECT_EQ(slurp(crlf.global_config()),
            "defaults:\r\n  cpus: 2\r\nagents:\r\n  tool:\r\n    image: i:1\r\n    command: "
            "[t]\r\n    egress_profile: permissive\r\n");
}

TEST(AgentsAdd, RefusesToChangeAConfigThatDoesNotLoad) {
  Bbox b;
  const std::string broken = "agents:\n  x: 3\n";
  b.set_global(broken);
  Outcome r = b.run(add_aider());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "bbox: error: refuse to change a config that does not load: " +
                       b.global_config().string() +
                       ":2:6: agents.x: expected a mapping of keys to values\n");
  EXPECT_EQ(slurp(b.global_config()), broken);
}

}  // namespace
}  // namespace bbox::cli
