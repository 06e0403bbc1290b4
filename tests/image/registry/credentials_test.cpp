// Credentials from the Docker client's config reach the token service; the
// registry itself never sees them. Fake registry on 127.0.0.1.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "bbox/image/store.h"
#include "image/auth.h"
#include "image/registry.h"
#include "image/support/image_test_helpers.h"
#include "image/support/local_registry.h"

namespace bbox::image {
namespace {

using namespace bbox::image::testing;

// A registry whose token service wants Basic u:p; it answers 404 for the
// manifest once the token is sent. Records the token request's head.
class TokenRegistry {
 public:
  TokenRegistry()
      : server_([this](const std::string& path, const std::string& head) {
          if (path.rfind("/token", 0) == 0) {
            token_head_ = head;
            if (head.find("Authorization: Basic " + base64_encode("u:p")) == std::string::npos) {
              return FakeResponse{401};
            }
            return FakeResponse{200, {}, R"({"access_token":"granted"})"};
          }
          if (head.find("Authorization: Basic") != std::string::npos) manifest_saw_basic_ = true;
          if (head.find("Authorization: Bearer granted") != std::string::npos) {
            return FakeResponse{404};
          }
          return FakeResponse{401,
                              {"WWW-Authenticate: Bearer realm=\"http://" + host() + "/token\""}};
        }) {}
  std::string host() const { return server_.host(); }
  Result<std::string> pull(const Store& store) {
    RegistryOptions o;
    o.attempts = 1;
    return pull_image(store, *parse_registry_ref(host() + "/test/x:1"), o);
  }
  bool manifest_saw_basic_ = false;
  std::string token_head_;

 private:
  FakeHttpServer server_;
};

TEST(Credentials, AuthsEntryIsSentToTheTokenServiceOnly) {
  PrivateStore store;
  TempDir config;
  TokenRegistry reg;
  write_file(config.path() / "config.json",
             R"({"auths":{")" + reg.host() + R"(":{"auth":")" + base64_encode("u:p") + R"("}}})");
  ScopedEnv env("DOCKER_CONFIG", config.path().string());

  auto r = reg.pull(Store(store.images()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not found"), std::string::npos) << r.error().message;
  EXPECT_FALSE(reg.manifest_saw_basic_);
}

TEST(Credentials, CredentialHelperIsAsked) {
  PrivateStore store;
  TempDir config;
  TokenRegistry reg;
  write_file(config.path() / "bin/docker-credential-fake",
             "#!/bin/sh\nread host\n[ \"$1\" = get ] && [ \"$host\" = \"" + reg.host() +
                 "\" ] && echo '{\"Username\":\"u\",\"Secret\":\"p\"}'\n",
             0755);
  write_file(config.path() / "config.json", R"({"credHelpers":{")" + reg.host() + R"(":"fake"}})");
  ScopedEnv env("DOCKER_CONFIG", config.path().string());
  ScopedEnv path("PATH", (config.path() / "bin").string() + ":" + std::getenv("PATH"));

  auto r = reg.pull(Store(store.images()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not found"), std::string::npos) << r.error().message;
}

TEST(Credentials, WithoutCredentialsTheTokenRefusalIsExplained) {
  PrivateStore store;
  TempDir config;
  TokenRegistry reg;
  ScopedEnv env("DOCKER_CONFIG", config.path().string());
  auto r = reg.pull(Store(store.images()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("the token service answered 401 (check the credentials for " +
                                   reg.host()),
            std::string::npos)
      << r.error().message;
}

TEST(Challenge, ParsesQuotedParameters) {
  auto c = parse_challenge(R"(Bearer realm="https://auth.example/token",service="reg",)"
                           R"(scope="repository:a/b:pull")");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.example/token");
  EXPECT_EQ(c->params["service"], "reg");
  EXPECT_EQ(c->params["scope"], "repository:a/b:pull");
  EXPECT_EQ(*base64_decode(base64_encode("user:pa:ss")), "user:pa:ss");
}

}  // namespace
}  // namespace bbox::image
