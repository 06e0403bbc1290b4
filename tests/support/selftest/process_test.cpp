// run_process and friends: the exit code, both streams, stdin, environment
// and working directory reach the test as the child saw them.
#include "bbox_test/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "bbox_test/temp_dir.h"

namespace bbox::test_support {
namespace {

TEST(RunProcess, CapturesBothStreamsAndTheExitCode) {
  ProcessResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(RunProcess, DrainsBothPipesSoALargeStderrCannotDeadlock) {
  // 1 MiB on stderr before anything on stdout: more than a pipe holds.
  ProcessResult r =
      run_process({"sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' e >&2; echo done"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(r.err.size(), 1048576u);
  EXPECT_EQ(r.err.find_first_not_of('e'), std::string::npos);
}

TEST(RunProcess, SignalDeathIs128PlusTheSignal) {
  ProcessResult r = run_process({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
}

TEST(RunProcess, MissingProgramIs127) {
  EXPECT_EQ(run_process({"bbox-no-such-program-here"}).exit_code, 127);
}

TEST(RunProcess, FeedsInputWhileReadingOutput) {
  std::string big(1 << 20, 'x');
  ProcessResult r = run_process({"cat"}, {.input = big});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), big.size());
  EXPECT_EQ(r.out, big);
}

TEST(RunProcess, ChildThatIgnoresItsInputDoesNotKillTheTest) {
  ProcessResult r = run_process({"true"}, {.input = std::string(1 << 20, 'x')});
  EXPECT_EQ(r.exit_code, 0);
}

TEST(RunProcess, StdinIsEmptyWithoutInput) { EXPECT_EQ(run_process({"cat"}).out, ""); }

TEST(RunProcess, SetsEnvironmentAndWorkingDirectory) {
  TempDir dir;
  ProcessResult r = run_process({"sh", "-c", "echo \"$BBOX_SUPPORT_TEST\"; pwd -P"},
                                {.env = {{"BBOX_SUPPORT_TEST", "set here"}}, .cwd = dir.path()});
  EXPECT_EQ(r.out, "set here\n" + std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(RunProcess, CleanEnvironmentHoldsOnlyWhatWasGiven) {
  ProcessResult r = run_process({"/usr/bin/env"}, {.env = {{"ONLY", "1"}}, .clean_env = true});
  EXPECT_EQ(r.out, "ONLY=1\n");
}

TEST(StartProcess, WaitReturnsTheExitCode) {
  pid_t pid = start_process({"sh", "-c", "exit 9"});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_process(pid), 9);
}

TEST(ShellQuote, SurvivesQuotesAndSpacesThroughSh) {
  std::string nasty = "it's a \"test\" $HOME `x`";
  ProcessResult r = run_process({"sh", "-c", "printf %s " + shell_quote(nasty)});
  EXPECT_EQ(r.out, nasty);
  EXPECT_EQ(shell_join({"a b", "c"}), "'a b' 'c'");
}

TEST(ShellOutput, ReturnsStdoutAndTheStatus) {
  int status = -2;
  EXPECT_EQ(shell_output("echo hi; exit 4", &status), "hi\n");
  EXPECT_EQ(status, 4);
}

TEST(FindProgram, LooksInEachDirectoryOfThePathList) {
  EXPECT_EQ(find_program("sh", "/nonexistent:/bin"), std::filesystem::path("/bin/sh"));
  EXPECT_EQ(find_program("bbox-no-such-program-here", "/bin:/usr/bin"), std::filesystem::path());
}

}  // namespace
}  // namespace bbox::test_support
