// roachrun::local_nodes(ctx): the slot the engine fills for the scenario it runs.
#include <memory>
#include <mutex>
#include <utility>

#include "roachrun/error.hpp"
#include "roachrun/local_nodes.hpp"
#include "roachrun/step.hpp"
#include "local_nodes_slot.hpp"

namespace roachrun {

LocalNodes::~LocalNodes() = default;
LocalNodesWithModes::~LocalNodesWithModes() = default;

namespace {

struct Slot {
  std::mutex mutex;
  std::shared_ptr<const LocalNodesProvider> provider;
};

Slot& slot() {
  static Slot* s = new Slot();  // never destroyed: a step's thread may ask while the process exits
  return *s;
}

}  // namespace

void install_local_nodes(LocalNodesProvider provider) {
  auto installed = std::make_shared<const LocalNodesProvider>(std::move(provider));
  std::lock_guard lock(slot().mutex);
  slot().provider = std::move(installed);
}

void clear_local_nodes() noexcept {
  std::shared_ptr<const LocalNodesProvider> gone;
  std::lock_guard lock(slot().mutex);
  gone.swap(slot().provider);
}

LocalNodes& local_nodes(StepContext& ctx) {
  if (ctx.interrupted()) throw Interrupted();
  std::shared_ptr<const LocalNodesProvider> provider;
  {
    std::lock_guard lock(slot().mutex);
    provider = slot().provider;
  }
  // Called outside the lock: the first call starts the formation or server, which takes seconds.
  LocalNodes* nodes = provider && provider->nodes ? provider->nodes() : nullptr;
  if (nodes) return *nodes;
  const std::string target = provider && provider->describe_target ? provider->describe_target()
                                                                   : "unknown (no scenario is running)";
  throw StepError("node control needs roachrun's own local target (target: local, or {url: local, nodes: 3}), "
                  "whose server or nodes it started; this run's target is " + target);
}

void act(LocalNodes& nodes, NodeAction action, const std::string& node, std::chrono::milliseconds delay,
         StopMode mode) {
  if (auto* with_modes = dynamic_cast<LocalNodesWithModes*>(&nodes))
    return with_modes->act(action, node, delay, mode);
  if (mode != StopMode::fast && (action == NodeAction::stop || action == NodeAction::restart))
    throw StepError("this node control has no immediate stop (it is not roachrun's own)");
  nodes.act(action, node, delay);
}

}  // namespace roachrun
