// SHA-256 digests in OCI form ("sha256:<64 hex>").
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bbox/common/result.h"

namespace bbox::image {

// Incremental SHA-256 (OpenSSL EVP, which uses SHA-NI where the CPU has it).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // "sha256:<hex>". The hasher cannot be used afterwards.
  std::string finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string sha256_digest(std::string_view data);
Result<std::string> sha256_file(const std::filesystem::path& file);

// True for "sha256:" followed by exactly 64 lowercase hex digits. Only such
// digests are ever turned into file names.
bool valid_digest(std::string_view digest);
// The hex part of a valid digest.
std::string digest_hex(std::string_view digest);

}  // namespace bbox::image
