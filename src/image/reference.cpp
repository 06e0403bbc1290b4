#include <filesystem>
#include <regex>

#include "image/digest.h"
#include "image/sources.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

bool looks_like_host(const std::string& first) {
  return first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
         first == "localhost";
}

// Repository path components: lowercase alphanumerics with single separators.
bool valid_repository(const std::string& repo) {
  static const std::regex re(
      "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
      "(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  return repo.size() <= 255 && std::regex_match(repo, re);
}

bool valid_tag(const std::string& tag) {
  static const std::regex re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(tag, re);
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

// oci:DIR:TAG and oci-archive:FILE:TAG, as skopeo writes them; a path that
// holds ':' followed by a '/' has no tag part.
void split_tag(Source& s) {
  size_t colon = s.path.rfind(':');
  if (colon != std::string::npos && s.path.find('/', colon) == std::string::npos) {
    s.tag = s.path.substr(colon + 1);
    s.path.resize(colon);
  }
}

}  // namespace

std::string RegistryRef::api_host() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

std::string RegistryRef::name() const {
  std::string n = registry + "/" + repository;
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

Result<RegistryRef> parse_registry_ref(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error{"parse image reference '" + text + "': " + why};
  };
  RegistryRef r;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!valid_digest(r.digest)) return bad("the digest is not sha256:<64 hex digits>");
  }
  size_t slash = rest.find('/');
  if (slash != std::string::npos && looks_like_host(rest.substr(0, slash))) {
    r.registry = rest.substr(0, slash);
    rest = rest.substr(slash + 1);
  } else {
    r.registry = "docker.io";
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    r.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!valid_tag(r.tag)) return bad("invalid tag");
  }
  if (r.registry == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
  r.repository = rest;
  if (!valid_repository(r.repository)) return bad("invalid repository name");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string Source::canonical() const {
  switch (transport) {
    case Transport::kDocker:
      return "docker://" + registry.name();
    case Transport::kOci:
      return "oci:" + path + (tag.empty() ? "" : ":" + tag);
    case Transport::kOciArchive:
      return "oci-archive:" + path;
    case Transport::kDockerArchive:
      return "docker-archive:" + path;
    case Transport::kDir:
      return "dir:" + path;
  }
  return path;
}

Result<Source> parse_source(const std::string& reference) {
  Source s;
  auto starts = [&](const char* p) { return reference.rfind(p, 0) == 0; };
  auto after = [&](const char* p) { return reference.substr(std::char_traits<char>::length(p)); };
  if (starts("dir:")) {
    s.transport = Transport::kDir;
    s.path = after("dir:");
  } else if (starts("oci-archive:")) {
    s.transport = Transport::kOciArchive;
    s.path = after("oci-archive:");
    split_tag(s);
  } else if (starts("docker-archive:")) {
    s.transport = Transport::kDockerArchive;
    s.path = after("docker-archive:");
  } else if (starts("oci:")) {
    s.transport = Transport::kOci;
    s.path = after("oci:");
    split_tag(s);
  } else {
    auto r = parse_registry_ref(starts("docker://") ? after("docker://") : reference);
    if (!r) return r.error();
    s.registry = std::move(*r);
    return s;
  }
  if (s.path.empty()) return Error{"parse image reference '" + reference + "': no path"};
  s.path = absolute(s.path);
  return s;
}

}  // namespace bbox::image
