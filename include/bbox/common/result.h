// Result<T>: the value of an operation that can fail in the normal course of
// things (missing file, bad config, refused connection). Broken invariants are
// asserts, not Results.
//
// An Error carries one message shaped "verb object: cause", for example
// "read '.broodbox.yaml': permission denied". Callers add context on the way up
// with Error::wrap.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace bbox {

struct Error {
  std::string message;

  // Returns "context: message", for adding what the caller was doing.
  Error wrap(const std::string& context) const { return Error{context + ": " + message}; }
};

// Builds an Error from errno-style codes: "what: strerror(err)".
Error errno_error(const std::string& what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace bbox
