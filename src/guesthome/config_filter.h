// The merge-file step of settings import: parse a host settings file (JSON,
// JSONC or TOML), keep the allowed top-level keys, strip denied names below
// them, and merge the result over the guest's copy.
#pragma once

#include <string>

#include "bbox/common/result.h"
#include "bbox/guesthome/settings.h"

namespace bbox::guesthome::detail {

// Returns the merged file's text. `base` is the guest's copy ("" for none; a
// base that does not parse is replaced). An Error when `text` is not valid
// for item.format: "not valid JSON: ...".
Result<std::string> filter_and_merge(const std::string& text, const std::string& base,
                                     const SettingsItem& item);

// JSONC to JSON: drops // and /* */ comments and trailing commas, outside
// strings. Line breaks are kept, so positions in errors stay right.
std::string strip_jsonc(const std::string& text);

}  // namespace bbox::guesthome::detail
