// Pulling images from OCI distribution / Docker registry v2 servers.
#pragma once

#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/image/store.h"
#include "image/http.h"
#include "image/sources.h"

namespace bbox::image {

struct RegistryOptions {
  HttpTimeouts timeouts;
  int attempts = 4;              // per request, for 429, 5xx and transport failures
  double first_backoff_s = 1.0;  // doubled after each failed attempt
  double max_backoff_s = 16.0;   // also caps a Retry-After the server sends
};

// Pulls ref's manifest (resolving an index to linux/amd64), config and layers
// into the store, skipping blobs already there, verifying each against its
// digest before it lands. Returns the manifest digest. A pull cut short leaves
// only complete blobs, so running it again continues where it stopped.
Result<std::string> pull_image(const Store& store, const RegistryRef& ref,
                               const RegistryOptions& options = {});

// True for localhost, 127.0.0.1, [::1] (any port) and registries given to
// set_plain_http_registries(): the only ones spoken to over plain HTTP.
bool plain_http_allowed(const std::string& registry);

}  // namespace bbox::image
