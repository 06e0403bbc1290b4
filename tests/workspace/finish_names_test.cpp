// The review summary of a hostile agent's names: a name with control
// characters is warned about even when the applied list is cut short.
#include "bbox/common/exit_codes.h"
#include "workspace/changes.h"
#include "workspace/session_fixture.h"

namespace bbox::workspace {
namespace {

using testing::write_file;

class FinishNames : public testing::SessionTest {};

TEST_F(FinishNames, ControlCharactersPastTheListedThirtyAreStillWarnedAbout) {
  auto s = snapshot();
  for (int i = 0; i < 31; ++i) {
    write_file(s.snapshot / ("f" + std::to_string(100 + i)), "x\n");
  }
  write_file(s.snapshot / "zz\x1b]0;pwn\a", "x\n");
  write_file(s.snapshot / "zz\rplain", "x\n");
  auto rc = finish_session(s, {});
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  EXPECT_EQ(*rc, exit_code::kOk);
  EXPECT_EQ(messages.find('\x1b'), std::string::npos) << "a raw escape reached the terminal";
  EXPECT_NE(messages.find("  ... and 3 more\n"
                          "bbox: warning: applied 2 more files whose name holds control "
                          "characters, first 'zz\\x0dplain'\n"),
            std::string::npos)
      << messages;
}

}  // namespace
}  // namespace bbox::workspace
