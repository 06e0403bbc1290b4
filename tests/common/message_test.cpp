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

TEST(Printable, EscapesBidiOverridesAndZeroWidthCharacters) {
  // "evil\u202Etxt.sh" would show as "evilhs.txt" on a terminal.
  EXPECT_EQ(printable("evil\xe2\x80\xaetxt.sh"), "evil\\u{202e}txt.sh");
  EXPECT_EQ(printable("a\xe2\x80\x8b" "b"), "a\\u{200b}b");  // zero-width space
  EXPECT_EQ(printable("\xef\xbb\xbf" "bom"), "\\u{feff}bom");
  EXPECT_EQ(printable("\xe2\x81\xa6x"), "\\u{2066}x");   // left-to-right isolate
  EXPECT_EQ(printable("\xe2\x82\xac"), "\xe2\x82\xac");  // the euro sign stays
}

TEST(Printable, IsIdempotentSoQuotingPrintableTextChangesNothing) {
  for (const char* s : {"a\x1b[31mb", "evil\xe2\x80\xaetxt", "bad\xff", "a\\x1b"}) {
    EXPECT_EQ(printable(printable(s)), printable(s)) << s;
  }
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
