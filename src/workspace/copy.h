// Copying one regular file's bytes: FICLONE where the file system shares
// extents, else copy_file_range over the data segments only (holes stay
// holes), else read/write.
#pragma once

#include <sys/types.h>

#include "bbox/common/result.h"

namespace bbox::workspace {

enum class CopyMethod { kClone, kRange, kReadWrite };

// Copies `size` bytes of src into the empty file dst and sets dst's length.
// Returns the method used. ENOSPC comes back as an Error naming the cause.
Result<CopyMethod> copy_contents(int src, int dst, off_t size);

}  // namespace bbox::workspace
