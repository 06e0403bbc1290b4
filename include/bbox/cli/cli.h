// The bbox command line. main() parses argv, runs the command and returns the
// process exit code (see bbox/common/exit_codes.h).
#pragma once

namespace bbox::cli {
int main(int argc, char** argv);
}  // namespace bbox::cli
