#include "bbox/cli/cli.h"

int main(int argc, char** argv) { return bbox::cli::main(argc, argv); }
