// The roachrun command line: run, validate, plugins. Returns the process exit code.
#pragma once

namespace roachrun {

int cli_main(int argc, char** argv);

}  // namespace roachrun
