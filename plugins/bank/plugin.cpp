// The bank plugin: the tutorial's Python program (basic-sample.py), one function per step type.
#include <roachrun/plugin.hpp>

#include "steps.hpp"
#include "workload/config.hpp"

namespace {

roachrun::PluginInfo describe() {
  return {"bank",
          "The tutorial's accounts table: create, print, transfer with retries, check, delete; forced retries; a concurrent workload with an audit",
          {roachrun_bank::create_accounts_step(), roachrun_bank::print_balances_step(), roachrun_bank::transfer_step(),
           roachrun_bank::delete_accounts_step(), roachrun_bank::expect_balances_step(), roachrun_bank::force_retry_step(),
           roachrun_bank::workload_step(), roachrun_bank::audit_step()}};
}

// Parameters that take one of a fixed set of words: checked at validation time (file:line:col,
// did you mean), and offered by `roachrun schema` to editors.
roachrun::PluginDetails details() {
  roachrun::StepDetails workload{"workload", false, {}};
  for (auto& [param, values] : roachrun_bank::workload_choices()) workload.choices.push_back({param, std::move(values)});
  return {{workload}};
}

}  // namespace

ROACHRUN_PLUGIN(describe)
ROACHRUN_PLUGIN_DETAILS(details)
