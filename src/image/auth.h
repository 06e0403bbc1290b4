// Registry credentials and the token dance.
//
// Credentials come from the Docker client's config ($DOCKER_CONFIG/config.json,
// default ~/.docker/config.json): a credential helper named in "credHelpers"
// for the registry or "credsStore" (docker-credential-NAME get), else the
// base64 "auth" of "auths". Anonymous when none.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bbox/common/result.h"

namespace bbox::image {

struct Credentials {
  std::string username;
  std::string secret;  // never logged
};

// Looks up credentials for a registry host ("docker.io" matches Docker Hub's
// keys). Errors only for a broken config file or a failing helper.
Result<std::optional<Credentials>> find_credentials(const std::string& registry);

// A parsed WWW-Authenticate challenge: scheme ("bearer", "basic") and params.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
std::optional<Challenge> parse_challenge(const std::string& header);

std::string base64_encode(const std::string& in);
Result<std::string> base64_decode(const std::string& in);

}  // namespace bbox::image
