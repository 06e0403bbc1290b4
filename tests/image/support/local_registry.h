// Servers for the registry tests, all on 127.0.0.1:
//   LocalRegistry   Debian's docker-registry with storage in a temp dir, fed with skopeo;
//   FakeHttpServer  answers every request through a handler: error statuses, hangs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image::testing {

// A port free on 127.0.0.1 right now.
int free_port();

class LocalRegistry {
 public:
  // Starts docker-registry serving from storage under work; waits until /v2/ answers.
  static Result<std::unique_ptr<LocalRegistry>> start(const std::filesystem::path& work);
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& storage() const { return storage_; }
  // Stops the server (for "served from the store without network" checks).
  void stop();
  // skopeo copy --all of oci:DIR:TAG to docker://host()/DEST.
  Status push(const std::filesystem::path& oci_dir, const std::string& tag,
              const std::string& dest) const;
  // The registry's file holding blob digest.
  std::filesystem::path blob_file(const std::string& digest) const;

 private:
  LocalRegistry() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path storage_;
};

struct FakeResponse {
  int status = 200;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  bool hang = false;  // accept, read the request, never answer
};

class FakeHttpServer {
 public:
  // handler gets the request's path and its whole head (request line and headers).
  explicit FakeHttpServer(
      std::function<FakeResponse(const std::string& path, const std::string& head)> handler);
  ~FakeHttpServer();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void serve();
  std::function<FakeResponse(const std::string&, const std::string&)> handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::vector<int> hanging_;
  std::thread thread_;
};

}  // namespace bbox::image::testing
