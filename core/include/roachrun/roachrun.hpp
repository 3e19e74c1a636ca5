// The whole plugin SDK in one include.
#pragma once

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "roachrun/faults.hpp"
#include "roachrun/io_wait.hpp"
#include "roachrun/local_nodes.hpp"
#include "roachrun/params.hpp"
#include "roachrun/plugin.hpp"
#include "roachrun/retry.hpp"
#include "roachrun/step.hpp"
#include "roachrun/version.hpp"
