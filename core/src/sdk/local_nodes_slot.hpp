// Where roachrun::local_nodes(ctx) gets its answer: the engine installs, for the scenario it runs,
// a provider of the LocalNodes over that scenario's local target (its formation or its single
// server). The slot lives in libroachrun_sdk.so, which the host and every plugin share, so a
// plugin reaches the host's nodes through the SDK alone.
//
// This header is not part of the plugin SDK (it is not installed): a plugin sees only
// <roachrun/local_nodes.hpp>.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "roachrun/export.hpp"
#include "roachrun/local_nodes.hpp"

namespace roachrun {

struct LocalNodesProvider {
  // The scenario's LocalNodes, made (and the formation or server started) on the first call;
  // null when its target is not the local target. May throw what starting it throws.
  std::function<LocalNodes*()> nodes;
  // The target as logs name it, for the error of a target without nodes.
  std::function<std::string()> describe_target;
};

// HOST ONLY: what the host's LocalNodes implements besides LocalNodes, for roachrun::act() with a
// StopMode (a new class, not a new virtual function of LocalNodes: plugins built against SDK 3.2
// keep its layout). Its key function is in the SDK library, which thus owns its type_info.
class ROACHRUN_API LocalNodesWithModes {
 public:
  virtual ~LocalNodesWithModes();
  virtual void act(NodeAction action, const std::string& node, std::chrono::milliseconds delay, StopMode mode) = 0;
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
