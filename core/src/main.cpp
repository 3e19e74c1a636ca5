#include "engine/cli.hpp"

int main(int argc, char** argv) { return roachrun::cli_main(argc, argv); }
