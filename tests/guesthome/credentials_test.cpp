// Credential persistence: the store keeps what the guest may keep, nothing
// else, and gives it back.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guesthome/fixture.h"

namespace bbox::guesthome::testing {
namespace {

vm::GuestFile dir(const std::string& path) { return {path, S_IFDIR | 0755, ""}; }
vm::GuestFile file(const std::string& path, std::string data) {
  return {path, S_IFREG | 0644, std::move(data)};
}
vm::GuestFile link(const std::string& path, std::string target) {
  return {path, S_IFLNK | 0777, std::move(target)};
}

vm::FetchedTree tree(std::vector<vm::GuestFile> entries) {
  return vm::FetchedTree{"/home/sandbox/.claude", std::move(entries), ""};
}

class Credentials : public HomeTest {
 protected:
  Result<SaveSummary> save(std::vector<vm::GuestFile> entries, const CredentialLimits& l = {}) {
    return save_credentials(store, "claude-code", {".claude/"}, {tree(std::move(entries))}, l);
  }
  fs::path saved(const std::string& rel = "") {
    return rel.empty() ? store / "claude-code/.claude" : store / "claude-code/.claude" / rel;
  }
};

TEST_F(Credentials, SaveThenRestoreGivesTheSameFilesBack) {
  auto r = save({dir(""), file(".credentials.json", "{\"token\":1}"), dir("todos"),
                 file("todos/a.json", "[]")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ(read(saved(".credentials.json")), "{\"token\":1}");
  EXPECT_EQ(mode_of(saved(".credentials.json")), S_IFREG | 0600u);
  EXPECT_EQ(mode_of(saved("todos")), S_IFDIR | 0700u);
  EXPECT_EQ(mode_of(store), S_IFDIR | 0700u);

  HomeFiles files;
  auto n = restore_credentials(store, "claude-code", {".claude/"}, files);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(files["/home/sandbox/.claude/.credentials.json"].data, "{\"token\":1}");
  EXPECT_EQ(files["/home/sandbox/.claude/.credentials.json"].mode, S_IFREG | 0600u);
  EXPECT_EQ(files["/home/sandbox/.claude/todos"].mode, S_IFDIR | 0700u);
  EXPECT_EQ(files["/home/sandbox/.claude/todos/a.json"].data, "[]");
}

TEST_F(Credentials, CredentialTheGuestWroteAsASymlinkToEtcShadowIsNotSaved) {
  auto r = save({dir(""), link(".credentials.json", "/etc/shadow"), file("ok.json", "1")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(saved(".credentials.json"))));
  EXPECT_EQ(read(saved("ok.json")), "1");
  EXPECT_NE(messages.find("not saving credential '~/.claude/.credentials.json': a symlink"),
            std::string::npos)
      << messages;
}

TEST_F(Credentials, GuestPathWithDotDotIsNotSaved) {
  auto r = save({dir(""), file("../../escaped", "x"), file("a/../b", "y"), file("fine", "z")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->skipped, 2u);
  EXPECT_FALSE(fs::exists(store / "escaped"));
  EXPECT_FALSE(fs::exists(store / "claude-code/escaped"));
  EXPECT_FALSE(fs::exists(saved("b")));
  EXPECT_EQ(read(saved("fine")), "z");
  EXPECT_NE(messages.find("'~/.claude/../../escaped': the path leaves the folder"),
            std::string::npos)
      << messages;
}

TEST_F(Credentials, FileOverSixtyFourKibibytesIsSkippedWithAWarning) {
  auto r = save({dir(""), file("big", std::string((64 << 10) + 1, 'x')),
                 file("limit", std::string(64 << 10, 'y'))});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(fs::exists(saved("big")));
  EXPECT_EQ(fs::file_size(saved("limit")), 64u << 10);
  EXPECT_EQ(messages,
            "bbox: warning: not saving 1 file of the login state of 'claude-code' over the "
            "limits (64.0 KiB a file, 100 files, 6.2 MiB in all, 3 levels): '~/.claude/big'\n");
}

TEST_F(Credentials, AtMostOneHundredFilesAreSavedAndWarningsAreBounded) {
  std::vector<vm::GuestFile> entries = {dir("")};
  for (int i = 0; i < 150; ++i) entries.push_back(file(fmt::format("f{:03}", i), "x"));
  auto r = save(entries);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->files, 100u);
  EXPECT_EQ(r->skipped, 50u);
  EXPECT_TRUE(fs::exists(saved("f099")));
  EXPECT_FALSE(fs::exists(saved("f100")));
  EXPECT_EQ(messages,
            "bbox: warning: not saving 50 files of the login state of 'claude-code' over the "
            "limits (64.0 KiB a file, 100 files, 6.2 MiB in all, 3 levels): '~/.claude/f100', "
            "'~/.claude/f101', '~/.claude/f102', ...\n");
}

TEST_F(Credentials, PathTheGuestSentTwiceIsSavedOnce) {
  auto r = save({dir(""), file("t", "first"), file("t", "second"), dir("t")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(read(saved("t")), "first");
  EXPECT_EQ(r->skipped, 2u);
}

TEST_F(Credentials, UnsafeEntriesAreNamedFiveAtATime) {
  std::vector<vm::GuestFile> entries = {dir("")};
  for (int i = 0; i < 8; ++i) entries.push_back(link(fmt::format("l{}", i), "/etc/shadow"));
  auto r = save(entries);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->skipped, 8u);
  size_t lines = 0;
  for (char c : messages) lines += c == '\n';
  EXPECT_EQ(lines, 6u) << messages;
  EXPECT_NE(messages.find("not saving 3 more credential entries of 'claude-code'"),
            std::string::npos);
}

TEST_F(Credentials, FileNamedLikeTheStagingEntryIsSavedWhereItBelongs) {
  auto r = save({dir(""), dir("sub"), file("sub/new", "n"), file("new", "m")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(read(saved("sub/new")), "n");
  EXPECT_EQ(read(saved("new")), "m");
}

TEST_F(Credentials, FilesMoreThanThreeLevelsDeepAreSkipped) {
  auto r = save({dir(""), dir("a"), dir("a/b"), dir("a/b/c"), file("a/b/kept", "1"),
                 file("a/b/c/dropped", "2")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(read(saved("a/b/kept")), "1");
  EXPECT_FALSE(fs::exists(saved("a/b/c")));
}

TEST_F(Credentials, SaveReplacesTheOldStateAndLeavesNoStagingBehind) {
  ASSERT_TRUE(save({dir(""), file("old", "1")}).ok());
  ASSERT_TRUE(save({dir(""), file("new", "2")}).ok());
  EXPECT_FALSE(fs::exists(saved("old")));
  EXPECT_EQ(read(saved("new")), "2");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(store / "claude-code")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".claude", ".lock"}));
}

TEST_F(Credentials, FetchThatFailedKeepsTheSavedState) {
  ASSERT_TRUE(save({dir(""), file("token", "keep me")}).ok());
  vm::FetchedTree failed{"/home/sandbox/.claude", {}, "the VM stopped during the fetch"};
  auto r = save_credentials(store, "claude-code", {".claude/"}, {failed});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(read(saved("token")), "keep me");
  EXPECT_NE(messages.find("keeping the saved credentials '.claude'"), std::string::npos)
      << messages;
}

TEST_F(Credentials, FolderMissingInTheGuestKeepsTheSavedStateQuietly) {
  ASSERT_TRUE(save({dir(""), file("token", "keep me")}).ok());
  vm::FetchedTree missing{"/home/sandbox/.claude", {}, "stat : No such file or directory"};
  ASSERT_TRUE(save_credentials(store, "claude-code", {".claude/"}, {missing}).ok());
  EXPECT_EQ(read(saved("token")), "keep me");
  EXPECT_EQ(messages, "");
}

TEST_F(Credentials, FolderTheGuestReplacedWithASymlinkIsNotSaved) {
  ASSERT_TRUE(save({dir(""), file("token", "keep me")}).ok());
  auto r = save({link("", "/etc")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(read(saved("token")), "keep me");
  EXPECT_NE(messages.find("the guest made it a symlink"), std::string::npos) << messages;
}

TEST_F(Credentials, UnwritableCredentialStoreIsAnErrorAndTheSessionKeepsItsOutcome) {
  write(store, "a file where the store should be\n");
  auto r = save({dir(""), file("token", "t")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("save credentials: open folder"), std::string::npos)
      << r.error().message;
  HomePlan plan;
  plan.agent = "claude-code";
  plan.save_credentials = true;
  plan.credential_paths = {".claude/"};
  plan.credential_store = store;
  keep_credentials(plan, {}, {tree({dir(""), file("token", "t")})});  // warns, does not throw
  EXPECT_NE(messages.find("warning: save credentials"), std::string::npos) << messages;
}

TEST_F(Credentials, ReadOnlyCredentialStoreIsAnError) {
  fs::create_directories(store);
  fs::permissions(store, fs::perms(0555));
  fs::permissions(root, fs::perms(0755));
  // Root writes through folder permissions: the save runs as nobody then.
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    ui::set_sink_for_tests(nullptr);
    auto r = save({dir(""), file("token", "t")});
    bool refused = !r.ok() && r.error().message.find("Permission denied") != std::string::npos;
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(store / "claude-code"));
}

TEST_F(Credentials, InvalidAgentNameIsRefused) {
  auto r = save_credentials(store, "../x", {".claude/"}, {tree({dir("")})});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(fs::exists(root / "x"));
}

TEST_F(Credentials, ListShowsEachAgentWithFilesAndSize) {
  ASSERT_TRUE(save({dir(""), file("a", "12345"), file("b", "123")}).ok());
  ASSERT_TRUE(save_credentials(
                  store, "codex", {".codex/"},
                  {vm::FetchedTree{"/home/sandbox/.codex", {dir(""), file("auth.json", "{}")}, ""}})
                  .ok());
  auto list = list_saved_credentials(store);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].agent, "claude-code");
  EXPECT_EQ((*list)[0].files, 2u);
  EXPECT_EQ((*list)[0].bytes, 8u);
  EXPECT_GT((*list)[0].modified, 0);
  EXPECT_EQ((*list)[1].agent, "codex");
}

TEST_F(Credentials, ClearRemovesOneAgentOnly) {
  ASSERT_TRUE(save({dir(""), file("a", "1")}).ok());
  write(store / "codex/.codex/auth.json", "{}");
  ASSERT_TRUE(clear_saved_credentials(store, "claude-code").ok());
  EXPECT_FALSE(fs::exists(store / "claude-code"));
  EXPECT_TRUE(fs::exists(store / "codex/.codex/auth.json"));
  auto again = clear_saved_credentials(store, "claude-code");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "clear credentials: no saved credentials for 'claude-code'");
}

TEST_F(Credentials, RestoreWithNothingSavedAddsNothing) {
  HomeFiles files;
  auto n = restore_credentials(store, "claude-code", {".claude/"}, files);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(files.empty());
}

TEST_F(Credentials, RestoreDoesNotFollowASymlinkPlantedInTheStore) {
  fs::create_directories(store / "claude-code/.claude");
  fs::create_symlink("/etc/passwd", store / "claude-code/.claude/creds");
  HomeFiles files;
  ASSERT_TRUE(restore_credentials(store, "claude-code", {".claude/"}, files).ok());
  EXPECT_EQ(files.count("/home/sandbox/.claude/creds"), 0u);
}

TEST_F(Credentials, CredentialPathThatIsAFileRoundTrips) {
  vm::FetchedTree t{"/home/sandbox/.claude.json", {file("", "{\"x\":1}")}, ""};
  ASSERT_TRUE(save_credentials(store, "claude-code", {".claude.json"}, {t}).ok());
  EXPECT_EQ(read(store / "claude-code/.claude.json"), "{\"x\":1}");
  HomeFiles files;
  ASSERT_TRUE(restore_credentials(store, "claude-code", {".claude.json"}, files).ok());
  EXPECT_EQ(files["/home/sandbox/.claude.json"].data, "{\"x\":1}");
}

std::string oauth(int64_t expires) {
  return fmt::format(R"({{"claudeAiOauth": {{"accessToken": "a", "expiresAt": {}}}}})", expires);
}

TEST_F(Credentials, SeedCopiesTheHostLoginWhenNoneIsSaved) {
  write(home / ".claude/.credentials.json", oauth(2000));
  auto r = seed_host_credentials(home, store, "claude-code", 1000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(*r);
  EXPECT_EQ(read(saved(".credentials.json")), oauth(2000));
  EXPECT_EQ(mode_of(saved(".credentials.json")), S_IFREG | 0600u);
}

TEST_F(Credentials, SeedKeepsASavedLoginThatIsStillValid) {
  write(home / ".claude/.credentials.json", oauth(9000));
  write(saved(".credentials.json"), oauth(5000));
  auto r = seed_host_credentials(home, store, "claude-code", 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(read(saved(".credentials.json")), oauth(5000));
}

TEST_F(Credentials, SeedReplacesAnExpiredSavedLoginWithAFresherOne) {
  write(home / ".claude/.credentials.json", oauth(9000));
  write(saved(".credentials.json"), oauth(500));
  auto r = seed_host_credentials(home, store, "claude-code", 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(read(saved(".credentials.json")), oauth(9000));
}

TEST_F(Credentials, SeedDoesNotFollowASymlinkedHostLogin) {
  write(root / "elsewhere.json", oauth(9000));
  fs::create_directories(home / ".claude");
  fs::create_symlink(root / "elsewhere.json", home / ".claude/.credentials.json");
  auto r = seed_host_credentials(home, store, "claude-code", 1000);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(fs::exists(saved(".credentials.json")));
}

TEST_F(Credentials, SeedRefusesAHostLoginThatIsNotJson) {
  write(home / ".claude/.credentials.json", "not json");
  auto r = seed_host_credentials(home, store, "claude-code", 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "seed credentials from the host: '~/.claude/.credentials.json' is not valid JSON");
}

TEST_F(Credentials, SeedHasNothingForOtherAgents) {
  write(home / ".claude/.credentials.json", oauth(2000));
  auto r = seed_host_credentials(home, store, "codex", 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_FALSE(fs::exists(store));
}

TEST(CredentialFetchRoots, AreAbsoluteGuestPathsWithoutTrailingSlash) {
  EXPECT_EQ(credential_fetch_roots({".claude/", ".config/opencode/"}),
            (std::vector<std::string>{"/home/sandbox/.claude", "/home/sandbox/.config/opencode"}));
}

}  // namespace
}  // namespace bbox::guesthome::testing
