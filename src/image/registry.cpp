#include "image/registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "bbox/common/message.h"
#include "image/auth.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/progress.h"

namespace bbox::image {
namespace {

using nlohmann::json;

std::mutex g_plain_mutex;
std::vector<std::string> g_plain_registries;

// One registry conversation: base URL, the bearer token once obtained.
class RegistryClient {
 public:
  RegistryClient(const RegistryRef& ref, const RegistryOptions& options)
      : ref_(ref), options_(options), plain_(plain_http_allowed(ref.registry)) {
    base_ = std::string(plain_ ? "http://" : "https://") + ref.api_host() + "/v2/" +
            ref.repository + "/";
  }

  // GETs base_ + path with auth and retries; returns a 200 response.
  Result<HttpResponse> get(const std::string& path, HttpRequest request, const std::string& what) {
    request.url = base_ + path;
    request.allow_plain_http = plain_;
    request.timeouts = options_.timeouts;
    double backoff = options_.first_backoff_s;
    Result<HttpResponse> r = Error{""};
    for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
      r = get_authorised(request);
      if (auth_failed_) break;  // retrying cannot fix credentials
      if (!r.ok() && request.permanent_failure && request.permanent_failure()) break;
      bool retry = !r.ok() || r->status == 429 || r->status >= 500;
      if (!retry || attempt == options_.attempts) break;
      double wait = backoff;
      if (r.ok() && r->headers.count("retry-after")) {
        wait = std::min(options_.max_backoff_s, std::atof(r->headers["retry-after"].c_str()));
      }
      if (request.progress) request.progress(0, 0);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      backoff = std::min(options_.max_backoff_s, backoff * 2);
    }
    if (!r.ok()) return r.error().wrap("pull " + what);
    return check_status(*r, what);
  }

 private:
  Result<HttpResponse> get_authorised(const HttpRequest& base_request) {
    HttpRequest request = base_request;
    if (!authorization_.empty()) request.headers.push_back("Authorization: " + authorization_);
    auto r = http_get(request);
    if (!r.ok() || r->status != 401 || tried_auth_) return r;
    tried_auth_ = true;
    if (Status s = authenticate(r->headers["www-authenticate"]); !s.ok()) {
      auth_failed_ = true;
      return s.error();
    }
    request = base_request;
    request.headers.push_back("Authorization: " + authorization_);
    return http_get(request);
  }

  Status authenticate(const std::string& header) {
    auto challenge = parse_challenge(header);
    auto creds = find_credentials(ref_.registry);
    if (!creds) return creds.error();
    std::string basic = creds->has_value()
                            ? "Basic " + base64_encode((*creds)->username + ":" + (*creds)->secret)
                            : "";
    if (challenge && challenge->scheme == "basic") {
      if (basic.empty()) return Error{"the registry wants a password and none is configured"};
      authorization_ = basic;
      return ok_status();
    }
    if (!challenge || challenge->scheme != "bearer" || challenge->params["realm"].empty()) {
      return Error{"the registry answered 401 without a usable authentication challenge"};
    }
    return fetch_token(*challenge, basic);
  }

  Status fetch_token(Challenge& c, const std::string& basic) {
    std::string url = c.params["realm"];
    bool http = url.rfind("http://", 0) == 0;
    if (!(url.rfind("https://", 0) == 0 || (http && plain_))) {
      return Error{"the registry's token service " + url + " is not an https URL"};
    }
    std::string scope =
        c.params.count("scope") ? c.params["scope"] : "repository:" + ref_.repository + ":pull";
    url += (url.find('?') == std::string::npos ? "?" : "&");
    url += "scope=" + scope;
    if (c.params.count("service")) url += "&service=" + c.params["service"];
    HttpRequest request;
    request.url = url;
    request.allow_plain_http = plain_;
    request.timeouts = options_.timeouts;
    request.max_body = 1 << 20;
    if (!basic.empty()) request.headers.push_back("Authorization: " + basic);
    auto r = http_get(request);
    if (!r) return r.error().wrap("get a registry token");
    if (r->status != 200) {
      return Error{"get a registry token: the token service answered " + std::to_string(r->status) +
                   " (check the credentials for " + ref_.registry + " in ~/.docker/config.json)"};
    }
    json doc = json::parse(r->body, nullptr, false);
    std::string token = doc.is_object() ? doc.value("token", doc.value("access_token", "")) : "";
    if (token.empty()) return Error{"get a registry token: the answer holds no token"};
    authorization_ = "Bearer " + token;
    return ok_status();
  }

  Result<HttpResponse> check_status(HttpResponse& r, const std::string& what) {
    long s = r.status;
    if (s == 200) return std::move(r);
    std::string where = " (" + ref_.registry + " answered " + std::to_string(s) + ")";
    std::string ctx = "pull " + what + ": ";
    if (s == 401) return Error{ctx + "authentication failed" + where};
    if (s == 403) return Error{ctx + "access denied" + where};
    if (s == 404) return Error{ctx + "not found" + where};
    if (s == 429) {
      return Error{ctx + "rate limited by the registry after " + std::to_string(options_.attempts) +
                   " attempts" + where};
    }
    if (s >= 500) {
      return Error{ctx + "the registry failed after " + std::to_string(options_.attempts) +
                   " attempts" + where};
    }
    return Error{ctx + "unexpected answer" + where};
  }

  RegistryRef ref_;
  RegistryOptions options_;
  bool plain_;
  std::string base_;
  std::string authorization_;
  bool tried_auth_ = false;
  bool auth_failed_ = false;
};

Result<std::string> fetch_manifest(RegistryClient& client, const std::string& ref_part,
                                   const std::string& expected, const std::string& what) {
  HttpRequest request;
  request.headers.push_back(std::string("Accept: ") + manifest_accept());
  request.max_body = kMaxManifestBytes;
  auto r = client.get("manifests/" + ref_part, request, what);
  if (!r) return r.error();
  if (!expected.empty() && sha256_digest(r->body) != expected) {
    return Error{"pull " + what + ": the manifest does not match digest " + expected +
                 "; refusing it"};
  }
  return std::move(r->body);
}

// Downloads one blob into the store through a temporary file, verified.
Status fetch_blob(const Store& store, RegistryClient& client, const Descriptor& d,
                  const std::string& label, uint64_t max_bytes) {
  if (store.has_blob(d.digest)) return ok_status();
  std::string tmp = (store.tmp_dir() / "blob-XXXXXX").string();
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return errno_error("create " + tmp, errno);
  LayerProgress progress(label, d.size);
  Sha256 hash;
  int write_errno = 0;
  bool too_large = false;

  // A blob is exactly as large as its descriptor says; a config blob of
  // unstated size is capped. A server sending more is cut off.
  uint64_t limit = d.size > 0 ? d.size : max_bytes;
  uint64_t received = 0;
  HttpRequest request;
  request.sink = [&](const char* p, size_t n) {
    if ((received += n) > limit) {
      too_large = true;
      return false;
    }
    if (::write(fd.get(), p, n) != static_cast<ssize_t>(n)) {
      write_errno = errno ? errno : ENOSPC;
      return false;
    }
    hash.update(p, n);
    return true;
  };
  request.permanent_failure = [&] { return write_errno != 0 || too_large; };
  request.progress = [&](uint64_t now, uint64_t total) {
    if (now == 0 && total == 0) {  // a retry starts over
      hash = Sha256();
      received = 0;
      (void)!::ftruncate(fd.get(), 0);
      ::lseek(fd.get(), 0, SEEK_SET);
    }
    progress.update(now, total);
  };
  auto r = client.get("blobs/" + d.digest, request, "blob " + d.digest);
  progress.finish(r.ok());
  if (!r) {
    ::unlink(tmp.c_str());
    if (write_errno != 0) return errno_error("store blob " + d.digest, write_errno);
    if (too_large) {
      return Error{"pull blob " + d.digest + ": the registry sent more than " +
                   std::to_string(limit) + " bytes; refusing it"};
    }
    return r.error();
  }
  std::string actual = hash.finish();
  if (actual != d.digest) {
    ::unlink(tmp.c_str());
    return Error{"verify blob " + d.digest + ": the registry sent content with digest " + actual +
                 "; refusing it"};
  }
  ::fchmod(fd.get(), 0644);
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), store.blob_path(d.digest).c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return errno_error("store blob " + d.digest, e);
  }
  return ok_status();
}

}  // namespace

bool plain_http_allowed(const std::string& registry) {
  std::string host = registry.substr(
      0, registry.rfind(':') == std::string::npos || registry.back() == ']' ? std::string::npos
                                                                            : registry.rfind(':'));
  if (host == "localhost" || host == "127.0.0.1" || host == "[::1]") return true;
  std::lock_guard<std::mutex> lock(g_plain_mutex);
  return std::find(g_plain_registries.begin(), g_plain_registries.end(), registry) !=
         g_plain_registries.end();
}

void set_plain_http_registries(std::vector<std::string> registries) {
  std::lock_guard<std::mutex> lock(g_plain_mutex);
  g_plain_registries = std::move(registries);
}

Result<std::string> pull_image(const Store& store, const RegistryRef& ref,
                               const RegistryOptions& options) {
  if (Status s = store.ensure_layout(); !s.ok()) return s.error();
  RegistryClient client(ref, options);
  std::string name = ref.name();
  ui::info("pulling {}", ui::quoted(name));
  std::string part = ref.digest.empty() ? ref.tag : ref.digest;
  auto body = fetch_manifest(client, part, ref.digest, name);
  if (!body) return body.error();
  std::string digest = ref.digest.empty() ? sha256_digest(*body) : ref.digest;
  if (is_index("", *body)) {
    auto entry = pick_platform(*body);
    if (!entry) return entry.error().wrap("pull " + name);
    digest = entry->digest;
    body = fetch_manifest(client, digest, digest, name);
    if (!body) return body.error();
  }
  auto manifest = parse_manifest(*body);
  if (!manifest) return manifest.error().wrap("pull " + name);

  Descriptor config = manifest->config;
  if (config.size > kMaxConfigBytes) return Error{"pull " + name + ": config blob too large"};
  if (Status s = fetch_blob(store, client, config, "config " + config.digest.substr(7, 12),
                            kMaxConfigBytes);
      !s.ok()) {
    return s.error();
  }
  size_t i = 0;
  for (const auto& layer : manifest->layers) {
    std::string label =
        fmt::format("layer {}/{} {}", ++i, manifest->layers.size(), layer.digest.substr(7, 12));
    if (Status s = fetch_blob(store, client, layer, label, UINT64_MAX); !s.ok()) return s.error();
  }
  if (Status s = store.put_blob(*body, digest); !s.ok()) return s.error();
  return digest;
}

}  // namespace bbox::image
