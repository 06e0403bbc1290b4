#include "image/auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "bbox/common/paths.h"
#include "image/fsutil.h"
#include "image/process.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path docker_config() {
  const char* dir = std::getenv("DOCKER_CONFIG");
  if (dir != nullptr && dir[0] == '/') return fs::path(dir) / "config.json";
  return paths::home_dir() / ".docker" / "config.json";
}

// The keys under which Docker stores a registry's entries.
std::vector<std::string> keys_for(const std::string& registry) {
  if (registry == "docker.io" || registry == "registry-1.docker.io") {
    return {"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"};
  }
  return {registry, "https://" + registry, "http://" + registry};
}

Result<std::optional<Credentials>> from_helper(const std::string& helper, const std::string& key) {
  // The helper name comes from the user's own config; it is run without a shell.
  auto out = run_program({"docker-credential-" + helper, "get"}, key);
  if (!out) {
    // "credentials not found" is a normal answer: anonymous access.
    if (out.error().message.find("not found") != std::string::npos)
      return std::optional<Credentials>();
    return out.error().wrap("get credentials from docker-credential-" + helper);
  }
  json doc = json::parse(*out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error{"get credentials from docker-credential-" + helper + ": bad answer"};
  }
  return std::optional<Credentials>(
      Credentials{doc.value("Username", ""), doc.value("Secret", "")});
}

Result<std::optional<Credentials>> from_auth(const json& entry, const std::string& file) {
  if (!entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string()) {
    return std::optional<Credentials>();
  }
  auto plain = base64_decode(entry["auth"].get<std::string>());
  size_t colon = plain ? plain->find(':') : std::string::npos;
  if (colon == std::string::npos) return Error{"read " + file + ": an auth entry is malformed"};
  return std::optional<Credentials>(Credentials{plain->substr(0, colon), plain->substr(colon + 1)});
}

}  // namespace

Result<std::optional<Credentials>> find_credentials(const std::string& registry) {
  fs::path file = docker_config();
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<Credentials>();
  auto text = read_file_capped(file, 4 << 20);
  if (!text) return text.error();
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Error{"read " + file.string() + ": bad JSON"};

  auto keys = keys_for(registry);
  if (doc.contains("credHelpers") && doc["credHelpers"].is_object()) {
    for (const auto& k : keys) {
      auto it = doc["credHelpers"].find(k);
      if (it != doc["credHelpers"].end() && it->is_string()) return from_helper(*it, k);
    }
  }
  if (doc.contains("auths") && doc["auths"].is_object()) {
    for (const auto& k : keys) {
      auto it = doc["auths"].find(k);
      if (it == doc["auths"].end()) continue;
      auto c = from_auth(*it, file.string());
      if (!c || c->has_value()) return c;
      if (doc.contains("credsStore") && doc["credsStore"].is_string()) {
        return from_helper(doc["credsStore"], k);
      }
    }
  }
  return std::optional<Credentials>();
}

std::optional<Challenge> parse_challenge(const std::string& header) {
  size_t sp = header.find(' ');
  Challenge c;
  c.scheme = header.substr(0, sp);
  std::transform(c.scheme.begin(), c.scheme.end(), c.scheme.begin(), ::tolower);
  if (c.scheme.empty()) return std::nullopt;
  size_t i = sp == std::string::npos ? header.size() : sp + 1;
  while (i < header.size()) {
    size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = header.substr(i, eq - i);
    key.erase(0, key.find_first_not_of(" ,"));
    std::string value;
    size_t j = eq + 1;
    if (j < header.size() && header[j] == '"') {
      size_t end = header.find('"', j + 1);
      if (end == std::string::npos) break;
      value = header.substr(j + 1, end - j - 1);
      i = end + 1;
    } else {
      size_t end = header.find(',', j);
      value = header.substr(j, end == std::string::npos ? std::string::npos : end - j);
      i = end == std::string::npos ? header.size() : end;
    }
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    c.params[key] = value;
    while (i < header.size() && (header[i] == ',' || header[i] == ' ')) ++i;
  }
  return c;
}

std::string base64_encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

Result<std::string> base64_decode(const std::string& in) {
  std::string out(3 * (in.size() / 4) + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return Error{"decode base64: malformed"};
  size_t pad = std::count(in.end() - std::min<size_t>(2, in.size()), in.end(), '=');
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace bbox::image
