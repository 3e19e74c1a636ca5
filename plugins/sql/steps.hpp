// The step types of the sql plugin; plugin.cpp lists them, one .cpp defines each.
#pragma once

#include <roachrun/step.hpp>

namespace roachrun_sql {

roachrun::StepType exec_step();   // sql.exec: run statements or a .sql file
roachrun::StepType query_step();  // sql.query: run one query, print and/or check its rows

}  // namespace roachrun_sql
