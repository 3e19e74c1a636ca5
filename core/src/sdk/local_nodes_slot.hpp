// Where roachrun::local_nodes(ctx) gets its answer: the engine installs, for the scenario it runs,
// a provider of the LocalNodes over that scenario's local formation. The slot lives in
// libroachrun_sdk.so, which the host and every plugin share, so a plugin reaches the host's
// formation through the SDK alone.
//
// This header is not part of the plugin SDK (it is not installed): a plugin sees only
// <roachrun/local_nodes.hpp>.
#pragma once

#include <functional>
#include <string>

#include "roachrun/export.hpp"
#include "roachrun/local_nodes.hpp"

namespace roachrun {

struct LocalNodesProvider {
  // The scenario's LocalNodes, made (and the formation started) on the first call; null when
  // its target is not a local formation. May throw what starting the formation throws.
  std::function<LocalNodes*()> nodes;
  // The target as logs name it, for the error of a target without nodes.
  std::function<std::string()> describe_target;
};

// HOST ONLY: answers local_nodes() with `provider` until clear_local_nodes(). Thread-safe.
ROACHRUN_API void install_local_nodes(LocalNodesProvider provider);
// HOST ONLY: local_nodes() refuses again, as outside a run. Thread-safe.
ROACHRUN_API void clear_local_nodes() noexcept;

// HOST ONLY: a provider installed for a scope (one scenario's run).
class LocalNodesInstalled {
 public:
  explicit LocalNodesInstalled(LocalNodesProvider provider) { install_local_nodes(std::move(provider)); }
  ~LocalNodesInstalled() { clear_local_nodes(); }
  LocalNodesInstalled(const LocalNodesInstalled&) = delete;
  LocalNodesInstalled& operator=(const LocalNodesInstalled&) = delete;
};

}  // namespace roachrun
