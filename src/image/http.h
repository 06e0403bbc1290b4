// A small blocking HTTP GET over libcurl for registry traffic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image {

struct HttpTimeouts {
  long connect_seconds = 15;
  // A transfer slower than 1 byte/s for this long is abandoned: a hanging
  // server fails instead of blocking forever.
  long stall_seconds = 30;
  long total_seconds = 0;  // 0: no overall limit (large layers take a while)
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  uint64_t max_body = 4ull << 20;    // larger bodies abort the transfer
  bool allow_plain_http = false;     // http:// URLs (and redirects) only when set
  HttpTimeouts timeouts;
  // When set, the body goes here in chunks instead of into HttpResponse::body;
  // returning false aborts the transfer.
  std::function<bool(const char*, size_t)> sink;
  // Asked after a failed attempt: true when retrying cannot help (the sink
  // hit a full disk or a size cap).
  std::function<bool()> permanent_failure;
  // Called with bytes received so far and the expected total (0: unknown).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; last value wins
  std::string body;
  std::string effective_url;
};

// Performs a GET. Transport failures (refused, timed out, TLS, body over the
// cap) are Errors; any HTTP status is a response.
Result<HttpResponse> http_get(const HttpRequest& request);

}  // namespace bbox::image
