// Wiring: builds every component from the configuration, in dependency order, and runs the
// server until shutdown. The only place that knows all modules.
#pragma once

namespace carnet {

// carnetd's main: returns the process exit code (0 after a clean shutdown, 2 for bad
// configuration, 1 when start-up fails).
int run_carnetd(int argc, const char* const* argv);

}  // namespace carnet
