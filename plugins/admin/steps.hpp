// The step types of the admin plugin; plugin.cpp lists them, one .cpp defines each.
#pragma once

#include <roachrun/step.hpp>

namespace roachrun_admin {

roachrun::StepType create_user_step();      // admin.create_user
roachrun::StepType create_database_step();  // admin.create_database
roachrun::StepType grant_step();            // admin.grant

}  // namespace roachrun_admin
