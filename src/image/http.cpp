#include "image/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace bbox::image {
namespace {

struct Transfer {
  CURL* curl;
  const HttpRequest* request;
  HttpResponse* response;
  uint64_t received = 0;
  bool over_cap = false;
  bool sink_failed = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->received += len;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->request->sink && status >= 200 && status < 300) {
    if (!t->request->sink(data, len)) {
      t->sink_failed = true;
      return 0;
    }
    return len;
  }
  uint64_t cap = t->request->sink ? 64 * 1024 : t->request->max_body;  // error bodies
  if (t->response->body.size() + len > cap) {
    t->over_cap = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();  // a redirect's next response
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  std::string value = line.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  t->response->headers[name] = value;
  return size * n;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->progress) t->request->progress(now, total);
  return 0;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void configure(CURL* c, const HttpRequest& r, Transfer& t, curl_slist* headers) {
  const char* protocols = r.allow_plain_http ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r.timeouts.connect_seconds);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r.timeouts.stall_seconds);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, r.timeouts.total_seconds);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "bbox");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

}  // namespace

Result<HttpResponse> http_get(const HttpRequest& request) {
  global_init();
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) return Error{"GET " + request.url + ": cannot initialise libcurl"};
  curl_slist* list = nullptr;
  for (const auto& h : request.headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(list, curl_slist_free_all);

  HttpResponse response;
  Transfer t{c.get(), &request, &response};
  configure(c.get(), request, t, headers.get());
  CURLcode rc = curl_easy_perform(c.get());
  if (t.over_cap) {
    return Error{"GET " + request.url + ": response larger than " +
                 std::to_string(request.max_body) + " bytes"};
  }
  if (t.sink_failed) return Error{"GET " + request.url + ": could not store the response"};
  if (rc != CURLE_OK) {
    std::string why = curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) why = "timed out (no data for a while)";
    if (rc == CURLE_UNSUPPORTED_PROTOCOL) why = "plain HTTP is not allowed for this registry";
    return Error{"GET " + request.url + ": " + why};
  }
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &response.status);
  char* url = nullptr;
  curl_easy_getinfo(c.get(), CURLINFO_EFFECTIVE_URL, &url);
  if (url != nullptr) response.effective_url = url;
  return response;
}

}  // namespace bbox::image
