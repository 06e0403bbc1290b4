// Loopback always; eth0 with a static address, default route and resolver
// when the command line gives bbox.ip.
#pragma once

#include "cmdline.h"

namespace bbox::guest {

void configure_network(const BootConfig& cfg);

}  // namespace bbox::guest
