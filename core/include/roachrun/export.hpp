// Symbol visibility for the SDK library. Everything in libroachrun_sdk is hidden unless marked
// ROACHRUN_API, so the exported surface is exactly what these headers declare.
#pragma once

#define ROACHRUN_API __attribute__((visibility("default")))
