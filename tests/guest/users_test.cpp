#include "users.h"

#include <gtest/gtest.h>

namespace bbox::guest {
namespace {

TEST(SandboxPasswd, AppendsSandboxToAnImageWithoutIt) {
  EXPECT_EQ(passwd_with_sandbox("root:x:0:0:root:/root:/bin/bash\n", "/bin/bash"),
            "root:x:0:0:root:/root:/bin/bash\n"
            "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/bash\n");
}

TEST(SandboxPasswd, ReplacesWhoeverHeldUid1000AndDropsBrokenLines) {
  EXPECT_EQ(passwd_with_sandbox("root:x:0:0:root:/root:/bin/sh\r\ngarbage\n"
                                "node:x:1000:1000::/home/node:/bin/sh\n"
                                "daemon:x:1:1::/:/bin/false\n"
                                "sandbox:x:1001:1001::/x:/bin/sh\n"
                                "bad:x:one:1::/:/bin/sh\n",
                                "/bin/sh"),
            "root:x:0:0:root:/root:/bin/sh\n"
            "daemon:x:1:1::/:/bin/false\n"
            "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\n");
}

TEST(SandboxPasswd, AddsRootWhenThePasswdFileIsMissingOrEmpty) {
  EXPECT_EQ(passwd_with_sandbox("", "/bin/sh"),
            "root:x:0:0:root:/root:/bin/sh\n"
            "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\n");
}

TEST(SandboxGroup, ReplacesGid1000) {
  EXPECT_EQ(group_with_sandbox("root:x:0:\nnode:x:1000:\nusers:x:100:node\n"),
            "root:x:0:\nusers:x:100:node\nsandbox:x:1000:\n");
  EXPECT_EQ(group_with_sandbox("junk"), "root:x:0:\nsandbox:x:1000:\n");
}

}  // namespace
}  // namespace bbox::guest
