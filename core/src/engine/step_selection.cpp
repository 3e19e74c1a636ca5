#include "engine/step_selection.hpp"

#include <algorithm>
#include <cctype>

#include "roachrun/error.hpp"

namespace roachrun {

namespace {

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A parallel block's name matches each of its steps, and so does "BLOCK/BRANCH" for a branch's.
bool matches(const StepDef& step, const std::string& selector, const Scenario& scenario) {
  if (is_index(selector)) return selector.size() < 10 && std::stoi(selector) == step.number;
  if (step.name == selector || step.type == selector || step.type.rfind(selector + ".", 0) == 0) return true;
  if (step.block == 0) return false;
  const std::string& block = scenario.blocks[static_cast<std::size_t>(step.block - 1)].name;
  return selector == block || selector == block + "/" + step.branch;
}

std::string step_list(const ScenarioPlan& plan) {
  std::string list;
  for (const auto& s : plan.steps)
    list += "\n  " + std::to_string(s.def->number) + ". " + s.def->name +
            (s.def->name == s.def->type ? "" : " (" + s.def->type + ")") +
            (s.def->block == 0 ? ""
                               : " in '" + plan.scenario.blocks[static_cast<std::size_t>(s.def->block - 1)].name + "/" +
                                     s.def->branch + "'");
  return list;
}

void check_matches(const ScenarioPlan& plan, const std::string& option, const std::string& selector) {
  for (const auto& s : plan.steps)
    if (matches(*s.def, selector, plan.scenario)) return;
  const std::string what = is_index(selector) ? "no step numbered " + selector : "no step named '" + selector + "'";
  throw UsageError(option + " " + selector + ": " + plan.scenario.file + " has " + what + "; its steps are:" +
                   step_list(plan));
}

}  // namespace

void apply_selection(ScenarioPlan& plan, const StepSelection& selection) {
  for (const auto& selector : selection.only) check_matches(plan, "--only", selector);
  for (const auto& selector : selection.skip) check_matches(plan, "--skip", selector);
  bool reached = selection.from.empty();
  if (!reached) check_matches(plan, "--from", selection.from);
  for (auto& step : plan.steps) {
    if (!reached && matches(*step.def, selection.from, plan.scenario)) reached = true;
    if (!reached) {
      step.skip_reason = "before --from " + selection.from;
      continue;
    }
    if (!selection.only.empty() &&
        std::none_of(selection.only.begin(), selection.only.end(),
                     [&](const std::string& sel) { return matches(*step.def, sel, plan.scenario); }))
      step.skip_reason = "not selected by --only";
    for (const auto& selector : selection.skip)
      if (step.skip_reason.empty() && matches(*step.def, selector, plan.scenario)) step.skip_reason = "skipped by --skip " + selector;
  }
}

}  // namespace roachrun
