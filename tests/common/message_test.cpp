#include "bbox/common/message.h"

#include <gtest/gtest.h>

namespace bbox::ui {
namespace {

TEST(Printable, EscapesControlCharactersAndInvalidUtf8) {
  EXPECT_EQ(printable("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(printable("new\nline\t"), "new\\x0aline\\x09");
  EXPECT_EQ(printable("bad\xff"), "bad\\xff");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(printable("\xc2\x9b"), "\\xc2\\x9b");  // C1 control (CSI)
}

TEST(Say, WritesOneLineInTheBboxVoice) {
  std::string sink;
  set_sink_for_tests(&sink);
  error("read {}: {}", quoted(".broodbox.yaml"), "permission denied");
  set_sink_for_tests(nullptr);
  EXPECT_EQ(sink, "bbox: error: read '.broodbox.yaml': permission denied\n");
}

}  // namespace
}  // namespace bbox::ui
