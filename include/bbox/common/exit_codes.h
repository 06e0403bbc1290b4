// Exit codes of the bbox command. Documented in README.md ("Exit codes").
// When a session's command ran, bbox exits with that command's status
// (128+N when it died of signal N); these codes are for bbox's own outcomes.
#pragma once

namespace bbox::exit_code {

inline constexpr int kOk = 0;
inline constexpr int kError = 1;         // bbox failed: the message says why
inline constexpr int kUsage = 2;         // bad flag, value or argument
inline constexpr int kNotBuilt = 3;      // the feature is not available in this build yet
inline constexpr int kPendingReview = 4; // changes kept for `bbox review SESSION`
inline constexpr int kConflict = 5;      // host and agent both changed a file: NAME.bbox-agent
inline constexpr int kCannotExec = 126;  // the guest could not execute the command
inline constexpr int kNotFound = 127;    // the command does not exist in the guest
inline constexpr int kSignalBase = 128;  // 128+N: the command died of signal N

}  // namespace bbox::exit_code
