// The step types of the bank plugin; plugin.cpp lists them, one .cpp defines each.
#pragma once

#include <roachrun/step.hpp>

namespace roachrun_bank {

roachrun::StepType create_accounts_step();  // bank.create_accounts
roachrun::StepType print_balances_step();   // bank.print_balances
roachrun::StepType transfer_step();         // bank.transfer
roachrun::StepType delete_accounts_step();  // bank.delete_accounts
roachrun::StepType expect_balances_step();  // bank.expect_balances
roachrun::StepType force_retry_step();      // bank.force_retry
roachrun::StepType workload_step();         // bank.workload
roachrun::StepType audit_step();            // bank.audit

}  // namespace roachrun_bank
