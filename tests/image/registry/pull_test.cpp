#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "image/digest.h"
#include "image/registry.h"
#include "image/support/image_test_helpers.h"
#include "image/support/local_registry.h"
#include "image/support/test_image_builder.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

// One registry for the suite, holding the multi-arch busybox image as
// test/busybox:1. Tests that stop or damage a registry start their own.
class Pull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new TempDir();
    auto r = LocalRegistry::start(work_->path());
    if (!r) {
      skip_reason_ = new std::string(r.error().message);
      return;
    }
    registry_ = r->release();
    amd64_digest_ =
        new std::string(write_oci_layout(work_->path() / "oci", busybox_image(true), "1"));
    Status s = registry_->push(work_->path() / "oci", "1", "test/busybox:1");
    if (!s.ok()) skip_reason_ = new std::string(s.error().message);
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete work_;
  }
  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << "no local registry: " << *skip_reason_;
  }
  std::string ref(const std::string& rest) const { return registry_->host() + "/" + rest; }

  static inline TempDir* work_ = nullptr;
  static inline LocalRegistry* registry_ = nullptr;
  static inline std::string* amd64_digest_ = nullptr;
  static inline std::string* skip_reason_ = nullptr;
  PrivateStore store_;
};

void expect_busybox_root(const fs::path& image) {
  EXPECT_EQ(debugfs(image, "cat /top.txt"), "top layer\n");
  EXPECT_EQ(debugfs(image, "cat /etc/motd"), "zstd layer\n");
  EXPECT_FALSE(stat_in_image(image, "/etc/old.txt").found);     // whited out
  EXPECT_FALSE(stat_in_image(image, "/opt/gone/a.txt").found);  // opaque directory
  EXPECT_EQ(debugfs(image, "cat /opt/gone/new.txt"), "new\n");
  EXPECT_FALSE(stat_in_image(image, "/dev/null").found);  // devices are skipped
  InodeInfo passwd = stat_in_image(image, "/etc/passwd");
  EXPECT_EQ(passwd.uid, 0);
  EXPECT_EQ(passwd.gid, 0);
  EXPECT_EQ(passwd.mode & 07777, 0644u);
  InodeInfo home = stat_in_image(image, "/home/user");
  EXPECT_EQ(home.uid, 1000);
  EXPECT_EQ(home.mode & 07777, 0750u);
}

TEST_F(Pull, ByTagResolvesTheIndexToAmd64AndAppliesWhiteouts) {
  auto r = resolve_image("docker://" + ref("test/busybox:1"), PullPolicy::kAlways);
  ASSERT_TRUE(r.ok()) << r.error().message;

  EXPECT_EQ(r->digest, *amd64_digest_);
  expect_busybox_root(r->root_image);
  EXPECT_EQ(r->config.working_dir, "/home/user");
  EXPECT_EQ(r->config.env,
            (std::vector<std::string>{"PATH=/bin", "GREETING=hello from the image"}));
  EXPECT_EQ(r->config.cmd, std::vector<std::string>{"/bin/sh"});
}

TEST_F(Pull, ByDigestGivesTheSameImage) {
  auto r = resolve_image(ref("test/busybox@" + *amd64_digest_), PullPolicy::kAlways);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->digest, *amd64_digest_);
  EXPECT_EQ(debugfs(r->root_image, "cat /top.txt"), "top layer\n");
}

TEST_F(Pull, NeverPolicyRefusesAnImageNotInTheStore) {
  auto r = resolve_image(ref("test/busybox:1"), PullPolicy::kNever);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "resolve image docker://" + ref("test/busybox:1") +
                                   ": not in the image store and the pull policy is never");
}

TEST_F(Pull, SecondPullIsServedFromTheStoreWithoutNetwork) {
  TempDir own;
  auto reg = LocalRegistry::start(own.path());
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  write_oci_layout(own.path() / "oci", busybox_image(false), "1");
  ASSERT_TRUE((*reg)->push(own.path() / "oci", "1", "test/offline:1").ok());
  std::string name = (*reg)->host() + "/test/offline:1";
  auto first = resolve_image(name, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(first.ok()) << first.error().message;

  (*reg)->stop();
  auto second = resolve_image(name, PullPolicy::kIfNotPresent);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->root_image, first->root_image);
  auto forced = resolve_image(name, PullPolicy::kAlways);
  ASSERT_FALSE(forced.ok());
  EXPECT_NE(forced.error().message.find("Couldn't connect"), std::string::npos)
      << forced.error().message;
}

TEST_F(Pull, RefusesACorruptedBlobAndStoresNothing) {
  TempDir own;
  auto reg = LocalRegistry::start(own.path());
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  TestImage im = busybox_image(false);
  write_oci_layout(own.path() / "oci", im, "1");
  ASSERT_TRUE((*reg)->push(own.path() / "oci", "1", "test/corrupt:1").ok());
  std::string layer = sha256_digest(im.layers[1].bytes);
  std::string bytes = read_file((*reg)->blob_file(layer));
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] ^= 0x5a;
  std::ofstream((*reg)->blob_file(layer), std::ios::binary) << bytes;

  auto r = resolve_image((*reg)->host() + "/test/corrupt:1", PullPolicy::kAlways);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("verify blob " + layer +
                                   ": the registry sent content with "
                                   "digest sha256:"),
            std::string::npos)
      << r.error().message;
  Store s(store_.images());
  EXPECT_FALSE(s.has_blob(layer));
  EXPECT_TRUE(s.list()->empty());
  EXPECT_TRUE(fs::is_empty(store_.images() / "roots"));
  EXPECT_TRUE(fs::is_empty(store_.images() / "tmp"));
}

TEST_F(Pull, RefusesMaliciousLayersAndWritesNothingOutside) {
  std::string tag = std::to_string(::getpid());
  fs::path escape = fs::path("/tmp") / ("bbox-escape-" + tag);
  std::vector<std::vector<TarEntry>> evil = {
      {{"../../../../../../tmp/bbox-escape-" + tag, 'f', "owned\n"}},
      {{escape.string(), 'f', "owned\n"}},
      {{"evil", 'l', "", "/tmp"}, {"evil/bbox-escape-" + tag, 'f', "owned\n"}},
  };
  for (size_t i = 0; i < evil.size(); ++i) {
    TestImage im = busybox_image(false);
    im.layers.push_back({make_tar(evil[i])});
    fs::path dir = work_->path() / ("evil" + std::to_string(i));
    write_oci_layout(dir, im, "1");
    std::string name = "test/evil" + std::to_string(i) + ":1";
    ASSERT_TRUE(registry_->push(dir, "1", name).ok());

    auto r = resolve_image(ref(name), PullPolicy::kAlways);
    ASSERT_FALSE(r.ok()) << "layer " << i << " was accepted";
    EXPECT_NE(r.error().message.find("refuse entry"), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(escape)) << "layer " << i << " wrote outside the root";
  }
  EXPECT_TRUE(fs::is_empty(store_.images() / "roots"));
  EXPECT_TRUE(fs::is_empty(store_.images() / "tmp"));
}

// Failure answers from a registry that misbehaves on purpose.
class Failing : public ::testing::Test {
 protected:
  Result<std::string> pull(FakeHttpServer& server) {
    RegistryOptions o;
    o.attempts = 2;
    o.first_backoff_s = 0.05;
    o.timeouts.connect_seconds = 2;
    o.timeouts.stall_seconds = 2;
    auto ref = parse_registry_ref(server.host() + "/test/x:1");
    return pull_image(Store(store_.images()), *ref, o);
  }
  std::string prefix(FakeHttpServer& s) { return "pull " + s.host() + "/test/x:1: "; }
  PrivateStore store_;
};

TEST_F(Failing, NotFoundIsNamed) {
  FakeHttpServer s([](const std::string&, const std::string&) { return FakeResponse{404}; });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, prefix(s) + "not found (" + s.host() + " answered 404)");
}

TEST_F(Failing, RateLimitIsRetriedThenNamed) {
  FakeHttpServer s([](const std::string&, const std::string&) {
    return FakeResponse{429, {"Retry-After: 0"}};
  });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, prefix(s) + "rate limited by the registry after 2 attempts (" +
                                   s.host() + " answered 429)");
  EXPECT_EQ(s.requests(), 2);
}

TEST_F(Failing, ServerErrorIsRetriedThenNamed) {
  FakeHttpServer s([](const std::string&, const std::string&) { return FakeResponse{500}; });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            prefix(s) + "the registry failed after 2 attempts (" + s.host() + " answered 500)");
  EXPECT_EQ(s.requests(), 2);
}

TEST_F(Failing, UnauthorisedWithoutAChallengeIsNamed) {
  FakeHttpServer s([](const std::string&, const std::string&) { return FakeResponse{401}; });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            prefix(s) + "the registry answered 401 without a usable authentication challenge");
}

TEST_F(Failing, RefusedTokenNamesTheCredentials) {
  std::string realm;
  FakeHttpServer s([&](const std::string& path, const std::string&) {
    if (path.rfind("/token", 0) == 0) return FakeResponse{401};
    return FakeResponse{401, {"WWW-Authenticate: Bearer realm=\"" + realm + "\",service=\"t\""}};
  });
  realm = "http://" + s.host() + "/token";
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, prefix(s) +
                                   "get a registry token: the token service answered "
                                   "401 (check the credentials for " +
                                   s.host() + " in ~/.docker/config.json)");
}

TEST_F(Failing, AnonymousTokenIsFetchedAndSent) {
  std::string realm;
  std::string token_path;
  FakeHttpServer s([&](const std::string& path, const std::string& head) {
    if (path.rfind("/token", 0) == 0) {
      token_path = path;
      return FakeResponse{200, {"Content-Type: application/json"}, R"({"token":"t0k"})"};
    }
    if (head.find("Authorization: Bearer t0k") != std::string::npos) return FakeResponse{404};
    return FakeResponse{401, {"WWW-Authenticate: Bearer realm=\"" + realm + "\",service=\"svc\""}};
  });
  realm = "http://" + s.host() + "/token";
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, prefix(s) + "not found (" + s.host() + " answered 404)");
  EXPECT_EQ(token_path, "/token?scope=repository:test/x:pull&service=svc");
}

TEST_F(Failing, HangingRegistryTimesOut) {
  FakeHttpServer s([](const std::string&, const std::string&) {
    FakeResponse r;
    r.hang = true;
    return r;
  });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, prefix(s) + "GET http://" + s.host() +
                                   "/v2/test/x/manifests/1: timed out (no data for a while)");
}

TEST_F(Failing, OversizedManifestIsRefused) {
  FakeHttpServer s([](const std::string&, const std::string&) {
    return FakeResponse{200, {}, std::string(5 << 20, ' ')};
  });
  auto r = pull(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("response larger than 4194304 bytes"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace bbox::image
