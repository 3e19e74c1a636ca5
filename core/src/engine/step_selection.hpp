// Which steps of a scenario run: --only NAME|INDEX, --skip NAME|INDEX (both repeatable) and
// --from NAME|INDEX.
//
// A selector is a step's 1-based number in its file, or its name (the `name:` key, or the step
// type when the step has none; the step type itself also matches, and a plugin's name matches
// each of its steps: `--skip nodes` skips every nodes.* step). Steps that are not selected
// stay in the plan, marked with the reason they are skipped, so the runner and the reports list
// them as skipped instead of leaving them out.
#pragma once

#include <string>
#include <vector>

#include "engine/scenario_validator.hpp"

namespace roachrun {

struct StepSelection {
  std::vector<std::string> only;  // empty: every step (from `from` on)
  std::vector<std::string> skip;  // steps left out of those
  std::string from;               // empty: from the first step

  bool empty() const noexcept { return only.empty() && skip.empty() && from.empty(); }
};

// Marks the steps `selection` leaves out with a skip reason ("before --from 4",
// "not selected by --only", "skipped by --skip nodes"). Throws UsageError if a selector matches no step of the scenario,
// listing its steps.
void apply_selection(ScenarioPlan& plan, const StepSelection& selection);

}  // namespace roachrun
